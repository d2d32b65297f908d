// Where compile-time kernel tuning (src/graph/tuning.ts) keeps its choices between processes: a
// JSON document behind a small store interface that each platform entry provides (a file in Node,
// src/device/tuning-store-file.ts; localStorage in a browser, tuning-store-browser.ts; memory
// otherwise), and the cache that reads it once and writes it back whole.
//
// The document holds one section per adapter, so a choice timed on one adapter never applies to
// another: { "version": 1, "adapters": { "<adapter key>": { "<kernel key>": { "pick": "wg32",
// "us": { "wg64": 812.5, "wg32": 640.1 } } } } }.

/** The stored JSON text of the tuning cache. */
export interface TuningStore {
  /** Where it lives, for messages: a file path, `localStorage 'kiln.tuning'`, `memory`. */
  readonly where: string;
  /** The stored text, or null when nothing is stored yet. */
  read(): string | null;
  /** Replaces the stored text. */
  write(text: string): void;
}

/** A configuration tuning times: a pipeline with its bind group and workgroups, and the variant it runs. */
export interface TimedTrial {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
  variant?: string;
}

export type TrialTimer = (trial: TimedTrial, reps: number) => Promise<number>;

/** What one kernel's tuning decided, as stored. */
export interface TuningRecord {
  /** The variant to run. */
  pick: string;
  /** Measured microseconds per run of each variant timed (only the default's when skipped). */
  us: Record<string, number>;
  /** Why the kernel was not tuned, when it was not (a single run over the limit, say). */
  skipped?: string;
}

/** How compile-time tuning behaves on a device (Device.tuning). */
export interface TuningOptions {
  /** Off: every call runs its first variant (the lowering's default); nothing is timed or stored. */
  enabled: boolean;
  store: TuningStore;
  /** Most milliseconds one compile spends tuning; kernels past it run their default, uncached. */
  budgetMs: number;
  /** A kernel whose warm single run takes longer is not tuned: its default is stored as the pick. */
  maxRunMs: number;
  /** Nor is one whose run takes less (in a trial of many runs): there is too little to gain. */
  minRunMs: number;
  /** Runs this variant wherever a call offers one of that name, without timing or storing, even when tuning is off (tests). */
  force?: string;
  /**
   * Milliseconds per run of a configuration, averaged over `reps` runs in one submit: the device's own
   * clock (timestamp queries, else the wall clock) unless set (tests simulate a fast adapter with it).
   */
  timer?: TrialTimer;
  /** Told about store problems that do not stop a compile (a corrupt cache, an unwritable file). */
  warn(message: string): void;
}

export class MemoryTuningStore implements TuningStore {
  readonly where = 'memory';
  private text: string | null = null;

  read(): string | null {
    return this.text;
  }

  write(text: string): void {
    this.text = text;
  }
}

const VERSION = 1;

type Sections = Record<string, Record<string, TuningRecord>>;

/**
 * The parsed document of one store, read on first use. A document that is not valid JSON, or not of
 * this shape, is reported through `warn` and ignored: the cache only holds speed hints, so the compile
 * goes on, retunes, and the next write replaces the bad document with a good one.
 */
export class TuningCache {
  private sections: Sections | null = null;
  private dirty = false;
  private readonly transient = new WeakSet<TuningRecord>();

  constructor(
    readonly store: TuningStore,
    private readonly warn: (message: string) => void,
  ) {}

  get(adapter: string, kernel: string): TuningRecord | undefined {
    return this.load()[adapter]?.[kernel];
  }

  /** Records a choice; a transient one holds for this process only and is never written. */
  set(adapter: string, kernel: string, record: TuningRecord, options: { transient?: boolean } = {}): void {
    const sections = this.load();
    (sections[adapter] ??= {})[kernel] = record;
    if (options.transient) this.transient.add(record);
    else this.dirty = true;
  }

  /** Writes the document back if anything was set since the last write. */
  flush(): void {
    if (!this.dirty || !this.sections) return;
    this.dirty = false;
    try {
      const adapters = Object.fromEntries(
        Object.entries(this.sections).map(([adapter, kernels]) => [
          adapter,
          Object.fromEntries(Object.entries(kernels).filter(([, r]) => !this.transient.has(r))),
        ]),
      );
      this.store.write(`${JSON.stringify({ version: VERSION, adapters }, null, 1)}\n`);
    } catch (error) {
      this.warn(`kiln: could not write the kernel tuning cache (${this.store.where}): ${messageOf(error)}; choices will be timed again next time`);
    }
  }

  private load(): Sections {
    if (this.sections) return this.sections;
    let text: string | null = null;
    try {
      text = this.store.read();
    } catch (error) {
      this.warn(`kiln: could not read the kernel tuning cache (${this.store.where}): ${messageOf(error)}; kernels will be tuned again`);
    }
    this.sections = text === null ? {} : this.parse(text);
    return this.sections;
  }

  private parse(text: string): Sections {
    const ignore = (why: string): Sections => {
      this.warn(`kiln: ignoring the kernel tuning cache (${this.store.where}): ${why}; kernels will be tuned again and the cache rewritten`);
      this.dirty = true;
      return {};
    };
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      return ignore(`not valid JSON (${messageOf(error)})`);
    }
    if (!isObject(document) || document['version'] !== VERSION || !isObject(document['adapters'])) {
      return ignore(`expected {"version": ${VERSION}, "adapters": {...}}`);
    }
    const sections: Sections = {};
    for (const [adapter, kernels] of Object.entries(document['adapters'])) {
      if (!isObject(kernels)) return ignore(`the section of adapter '${adapter}' is not an object`);
      const section: Record<string, TuningRecord> = {};
      for (const [kernel, record] of Object.entries(kernels)) {
        if (!isRecord(record)) return ignore(`the entry '${kernel}' of adapter '${adapter}' is not {"pick": string, "us": {...}}`);
        section[kernel] = record;
      }
      sections[adapter] = section;
    }
    return sections;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRecord(value: unknown): value is TuningRecord {
  return isObject(value) && typeof value['pick'] === 'string' && isObject(value['us']) && Object.values(value['us']).every((v) => typeof v === 'number');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
