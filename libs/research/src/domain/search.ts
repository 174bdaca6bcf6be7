import { ResearchError } from './errors';
import { SeededRandom } from './random';
import {
  axisSize,
  axisValue,
  enumerateGrid,
  gridSize,
  paramsKey,
  satisfies,
  validateConstraints,
  validateSpace,
  type ParamConstraint,
  type ParamRange,
  type ParamSpace,
  type ParamValue,
  type ParamValues,
} from './space';

/** A finished trial as a search sees it: `score` higher is better, null when it failed or broke a constraint. */
export interface TrialOutcome {
  params: ParamValues;
  score: number | null;
}

/**
 * Ask/tell: a job runner asks for a batch, runs it wherever it likes, and tells the outcomes in
 * any order. `ask` never hands out more than the budget left, and returns [] when done.
 */
export interface SearchMethod {
  ask(count: number): ParamValues[];
  tell(outcomes: readonly TrialOutcome[]): void;
  readonly asked: number;
  readonly done: boolean;
}

export type SearchMethodName = 'grid' | 'random' | 'tpe';

export interface SearchConfig {
  method: SearchMethodName;
  maxTrials: number;
  seed?: number;
  /** Largest grid enumerated (the tier's budget); larger grids are refused before any trial. */
  maxGridSize?: number;
  /** TPE: random trials before the model is used; default max(10, 10% of the budget). */
  startupTrials?: number;
}

export function createSearch(
  space: ParamSpace,
  constraints: readonly ParamConstraint[],
  config: SearchConfig,
): SearchMethod {
  if (!Number.isInteger(config.maxTrials) || config.maxTrials < 1) {
    throw new ResearchError('INVALID_SPACE', 'must be an integer ≥ 1', 'search.maxTrials');
  }
  switch (config.method) {
    case 'grid':
      return new GridSearch(space, constraints, config.maxTrials, config.maxGridSize ?? config.maxTrials);
    case 'random':
      return new RandomSearch(space, constraints, config.maxTrials, config.seed ?? 1);
    case 'tpe':
      return new TpeSearch(space, constraints, config.maxTrials, config.seed ?? 1, config.startupTrials);
    default:
      throw new ResearchError('INVALID_SPACE', 'must be grid, random or tpe', 'search.method');
  }
}

/** Every feasible grid point in order. A grid larger than the trial budget is refused, not truncated. */
export class GridSearch implements SearchMethod {
  private readonly points: ParamValues[];
  private next = 0;

  constructor(space: ParamSpace, constraints: readonly ParamConstraint[], maxTrials: number, maxGridSize: number) {
    this.points = enumerateGrid(space, constraints, Math.min(maxGridSize, maxTrials));
  }

  get size(): number {
    return this.points.length;
  }

  get asked(): number {
    return this.next;
  }

  get done(): boolean {
    return this.next >= this.points.length;
  }

  ask(count: number): ParamValues[] {
    const batch = this.points.slice(this.next, this.next + Math.max(0, count));
    this.next += batch.length;
    return batch;
  }

  tell(): void {
    // A grid does not adapt.
  }
}

const SAMPLE_ATTEMPTS = 1000;
const MAX_BAD_KERNELS = 200;

/** Draws one value of a range uniformly (on its grid when it has one). */
function sampleRange(range: ParamRange, rng: SeededRandom): ParamValue {
  const size = axisSize(range);
  if (Number.isFinite(size)) return axisValue(range, rng.int(size));
  return range.type === 'choice' ? range.values[0] : range.min + rng.next() * (range.max - range.min);
}

/**
 * Uniform random search, reproducible by seed. On a finite space it never repeats a point; when
 * the feasible space is no larger than the budget it is the whole grid in a seeded order.
 */
export class RandomSearch implements SearchMethod {
  protected readonly rng: SeededRandom;
  protected readonly seen = new Set<string>();
  protected readonly finiteSpace: boolean;
  private readonly shuffled: ParamValues[] | null = null;
  private issued = 0;
  private exhausted = false;

  constructor(
    protected readonly space: ParamSpace,
    protected readonly constraints: readonly ParamConstraint[],
    readonly maxTrials: number,
    seed: number,
    shuffleSmallSpace = true,
  ) {
    validateSpace(space);
    validateConstraints(constraints, space);
    this.rng = new SeededRandom(seed);
    const size = gridSize(space);
    this.finiteSpace = Number.isFinite(size);
    if (shuffleSmallSpace && this.finiteSpace && size <= Math.max(maxTrials, 1000)) {
      const points = enumerateGrid(space, constraints, size);
      for (let i = points.length - 1; i > 0; i--) {
        const j = this.rng.int(i + 1);
        [points[i], points[j]] = [points[j], points[i]];
      }
      this.shuffled = points;
    }
  }

  get asked(): number {
    return this.issued;
  }

  get done(): boolean {
    return (
      this.exhausted || this.issued >= this.maxTrials || (this.shuffled !== null && this.issued >= this.shuffled.length)
    );
  }

  ask(count: number): ParamValues[] {
    const batch: ParamValues[] = [];
    while (batch.length < count && !this.done) {
      const point = this.shuffled ? this.shuffled[this.issued] : this.propose();
      if (!point) {
        this.exhausted = true;
        break;
      }
      this.seen.add(paramsKey(point));
      this.issued++;
      batch.push(point);
    }
    return batch;
  }

  tell(_outcomes: readonly TrialOutcome[]): void {
    // Random search does not adapt.
  }

  /** A feasible point not asked before, or null when none was found in a fair number of draws. */
  protected propose(): ParamValues | null {
    for (let attempt = 0; attempt < SAMPLE_ATTEMPTS; attempt++) {
      const point = this.draw();
      if (satisfies(point, this.constraints) && !(this.finiteSpace && this.seen.has(paramsKey(point)))) return point;
    }
    return null;
  }

  protected draw(): ParamValues {
    const point: ParamValues = {};
    for (const [name, range] of Object.entries(this.space)) point[name] = sampleRange(range, this.rng);
    return point;
  }
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al., 2011), small and independent per param as
 * in Optuna's default sampler: past trials are split into the best γ share ("good") and the
 * rest; candidates are drawn from the good trials' density l(x) and the one maximising
 * l(x)/g(x) is asked. Numbers are modelled on [0, 1] with a Gaussian kernel per observation plus
 * a uniform prior; choices by smoothed counts. A batch draws each point from the same model with
 * fresh candidates, so parallel trials stay diverse.
 */
export class TpeSearch extends RandomSearch {
  private readonly observed: TrialOutcome[] = [];
  private readonly startup: number;
  private static readonly CANDIDATES = 24;

  constructor(
    space: ParamSpace,
    constraints: readonly ParamConstraint[],
    maxTrials: number,
    seed: number,
    startupTrials?: number,
  ) {
    // The model, not a shuffled grid, chooses every point after the startup trials.
    super(space, constraints, maxTrials, seed, false);
    this.startup = startupTrials ?? Math.max(10, Math.ceil(maxTrials / 10));
  }

  override tell(outcomes: readonly TrialOutcome[]): void {
    this.observed.push(...outcomes);
  }

  protected override propose(): ParamValues | null {
    if (this.observed.length < this.startup) return super.propose();
    const model = this.currentModel();
    for (let attempt = 0; attempt < SAMPLE_ATTEMPTS / TpeSearch.CANDIDATES; attempt++) {
      let best: ParamValues | null = null;
      let bestRatio = -Infinity;
      for (let c = 0; c < TpeSearch.CANDIDATES; c++) {
        const point: ParamValues = {};
        let ratio = 0;
        for (const { name, good, bad } of model) {
          const value = good.sample(this.rng);
          point[name] = value;
          ratio += Math.log(good.pdf(value)) - Math.log(bad.pdf(value));
        }
        if (
          ratio > bestRatio &&
          satisfies(point, this.constraints) &&
          !(this.finiteSpace && this.seen.has(paramsKey(point)))
        ) {
          bestRatio = ratio;
          best = point;
        }
      }
      if (best) return best;
    }
    return super.propose();
  }

  private model: { observed: number; densities: { name: string; good: Density; bad: Density }[] } | null = null;

  /** The densities for the trials told so far; rebuilt only when more have been told. */
  private currentModel(): { name: string; good: Density; bad: Density }[] {
    if (this.model?.observed === this.observed.length) return this.model.densities;
    const sorted = [...this.observed].sort((a, b) => (b.score ?? -Number.MAX_VALUE) - (a.score ?? -Number.MAX_VALUE));
    const scored = sorted.filter((o) => o.score !== null).length;
    const nGood = Math.max(1, Math.min(25, Math.ceil(0.25 * scored)));
    const good = sorted.slice(0, nGood).map((o) => o.params);
    // g(x) is evaluated for every candidate: an even stride over the ranked rest keeps its shape
    // while bounding the cost, so 10,000 trials do not make each ask quadratic.
    const bad = evenSample(sorted.slice(nGood), MAX_BAD_KERNELS).map((o) => o.params);
    const densities = Object.entries(this.space).map(([name, range]) => ({
      name,
      good: density(
        range,
        good.map((p) => p[name]),
      ),
      bad: density(
        range,
        bad.map((p) => p[name]),
      ),
    }));
    this.model = { observed: this.observed.length, densities };
    return densities;
  }
}

/** At most `max` items at even strides, the first included, order kept. */
export function evenSample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const stride = items.length / max;
  return Array.from({ length: max }, (_, k) => items[Math.floor(k * stride)]);
}

interface Density {
  sample(rng: SeededRandom): ParamValue;
  pdf(value: ParamValue): number;
}

function density(range: ParamRange, observations: readonly ParamValue[]): Density {
  if (range.type === 'choice') {
    // Counts plus one per value: an unseen value keeps a chance.
    const weights = range.values.map((v) => 1 + observations.filter((o) => o === v).length);
    const total = weights.reduce((a, b) => a + b, 0);
    return {
      sample: (rng) => {
        let u = rng.next() * total;
        for (let i = 0; i < weights.length; i++) {
          u -= weights[i];
          if (u < 0) return range.values[i];
        }
        return range.values[range.values.length - 1];
      },
      pdf: (value) => (weights[range.values.indexOf(value)] ?? 1) / total,
    };
  }
  const span = range.max - range.min || 1;
  const xs = observations.map((v) => ((v as number) - range.min) / span);
  const n = xs.length;
  // Each kernel is as wide as the larger gap to its neighbours (the range's ends included), as in
  // the original TPE: few good points give wide kernels that keep exploring, many give narrow
  // ones. Never narrower than a grid step, or than 1/min(100, n + 1) of the range.
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const widths = new Array<number>(n);
  const floor = Math.max(range.step !== undefined ? range.step / span : 0, 1 / Math.min(100, n + 1));
  order.forEach(([x, i], k) => {
    const left = k === 0 ? x : x - order[k - 1][0];
    const right = k === n - 1 ? 1 - x : order[k + 1][0] - x;
    widths[i] = Math.min(1, Math.max(floor, left, right));
  });
  const priorWeight = 1 / (n + 1);
  const snap = (x: number): ParamValue => {
    const clipped = Math.min(1, Math.max(0, x));
    const size = axisSize(range);
    if (!Number.isFinite(size)) return range.min + clipped * span;
    return axisValue(range, Math.min(size - 1, Math.round((clipped * span) / (range.step ?? 1))));
  };
  return {
    sample: (rng) => {
      if (n === 0 || rng.next() < priorWeight) return snap(rng.next());
      const k = rng.int(n);
      return snap(xs[k] + widths[k] * rng.normal());
    },
    pdf: (value) => {
      const x = ((value as number) - range.min) / span;
      let sum = 0;
      for (let k = 0; k < n; k++)
        sum += Math.exp(-0.5 * ((x - xs[k]) / widths[k]) ** 2) / (widths[k] * Math.sqrt(2 * Math.PI));
      return priorWeight * 1 + ((1 - priorWeight) * sum) / Math.max(1, n);
    },
  };
}
