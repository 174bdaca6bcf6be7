# syntax=docker/dockerfile:1
# One image, two processes: the API by default, the worker with
#   command: ["node", "dist/apps/worker/src/main.js"]
# and the migrations with
#   command: ["node", "dist/libs/platform/src/database/migrate-cli.js", "run"]

# Node.js 22. On Node 24 the API idles at about 200 MB instead of 135 (V8 keeps a
# larger young generation; measured with `npm run bench -- http`). Set
# NODE_OPTIONS=--experimental-async-context-frame at deploy time to have the
# per-request log context for free (LOG_REQUEST_CONTEXT=auto then turns it on).
ARG NODE_IMAGE=node:22-bookworm-slim

# npm 11 honours package.json `allowScripts` (install scripts approved per
# package); an older npm bundled with the image would run every install script.
FROM ${NODE_IMAGE} AS npm
ARG NPM_VERSION=11.19.1
RUN npm install --global --no-audit --no-fund "npm@${NPM_VERSION}" && npm cache clean --force
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# Production dependencies only: this node_modules is what the runtime image ships.
FROM npm AS deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev

# The build needs @swc/core, a dev dependency: compile here, ship only dist/.
FROM npm AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY tsconfig.json ./
COPY scripts ./scripts
COPY migrations ./migrations
COPY libs ./libs
COPY apps ./apps
RUN node scripts/build.js

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG GIT_COMMIT=""
ARG BUILD_DATE=""
LABEL org.opencontainers.image.title="quant-backend" \
      org.opencontainers.image.description="Quant trading backend: REST API and BullMQ backtest workers" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.licenses="UNLICENSED"

# Nothing at run time needs a package manager; dropping it drops its CVEs too.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack

WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_HEALTH_PORT=3001 \
    LOG_FORMAT=json \
    GIT_COMMIT=${GIT_COMMIT}

# Owned by root and read-only to the app user: the process cannot rewrite its own code.
# package.json stays: the app reads its version from it.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# The `node` user of the base image, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000 3001
STOPSIGNAL SIGTERM

# Checks the API (the default command). The worker container overrides it with
# a check of its own probe port (docker-compose.yml); Kubernetes ignores it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "dist/apps/api/src/main.js"]
