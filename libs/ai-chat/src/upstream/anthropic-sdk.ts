import type * as AnthropicSdk from '@anthropic-ai/sdk';

/**
 * The SDK, loaded on first use (about 17 MB of memory once loaded): a process without
 * ANTHROPIC_API_KEY never loads it. Types come from `import type`, which costs nothing at run time.
 */
export function anthropicSdk(): typeof AnthropicSdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@anthropic-ai/sdk') as typeof AnthropicSdk;
}
