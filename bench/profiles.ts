import { GiB, KiB, MiB } from './client/content.js';

export type ProfileName = 'smoke' | 'quick' | 'full';

export interface SizeRuns {
  readonly bytes: number;
  /** Repetitions per round, each with fresh random content. */
  readonly reps: number;
}

/** Sizes, counts and durations of one run. Every scenario reads its part. */
export interface Profile {
  readonly name: ProfileName;
  /** Rounds per scenario and registry, run A B A B. */
  readonly rounds: number;
  /** Wait after a registry answers before its idle RSS is read. */
  readonly settleMs: number;
  readonly push: {
    readonly small: SizeRuns;
    readonly large: readonly SizeRuns[];
    readonly chunked: SizeRuns & { readonly chunkBytes: number };
  };
  readonly pull: { readonly sizes: readonly SizeRuns[]; readonly verify: boolean };
  readonly fanOut: { readonly clients: number; readonly bytes: number; readonly reps: number; readonly verify: boolean };
  readonly manifests: { readonly clients: number; readonly seconds: number };
  readonly images: { readonly count: number; readonly inFlight: number; readonly layerBytes: number };
  readonly tags: { readonly count: number; readonly inFlight: number; readonly listClients: number; readonly listSeconds: number };
  readonly skopeo: { readonly layers: number; readonly layerBytes: number; readonly reps: number };
  /**
   * The auth session: manifest GETs from `clients` for `seconds` each (Basic, then bearer), and `images` small images
   * pushed (the small-images scenario's layer size and concurrency). Fewer images than there: Distribution checks
   * bcrypt on each of an image's five requests.
   */
  readonly auth: { readonly clients: number; readonly seconds: number; readonly images: number };
  /**
   * The scale session: a registry shaped like Harbor's dataset "small" scaled by `factor` (1 is the whole dataset,
   * see scenarios/scale-dataset.ts), seeded `seedInFlight` repositories at a time, then each call from `clients` for
   * `seconds`. Its own `rounds`: seeding a large registry takes long, once per round and registry.
   */
  readonly scale: {
    readonly factor: number; readonly rounds: number; readonly seedInFlight: number; readonly clients: number; readonly seconds: number;
  };
  /**
   * The scan session (Berth only), its own number of `rounds`: `throughput` images of each kind per variant at `scale`
   * scanned one after another, against gunzip + tar of the same layers; a `mixed` set of images pushed at once and
   * scanned to the end; a new advisory matched against `inventories` stored inventories (seeded before the server
   * starts); one layer of `largeLayerBytes` of tar scanned while the server's memory is sampled; `pushes` small
   * images pushed `inFlight` at a time while a `backlog` of mixed images is scanned, and with scanning off, in
   * `bursts` alternating bursts on each side.
   */
  readonly scan: {
    readonly rounds: number;
    readonly throughput: { readonly variants: number; readonly scale: number };
    readonly mixed: { readonly images: number; readonly scale: number };
    readonly inventories: number;
    /** How long the rescan may take before the bench stops waiting and reports it unfinished. */
    readonly rescanTimeoutSeconds: number;
    readonly largeLayerBytes: number;
    readonly pushes: { readonly count: number; readonly inFlight: number; readonly backlog: number; readonly bursts: number };
  };
  readonly ceilings: { readonly sha256Bytes: number; readonly generatorBytes: number; readonly fsyncBytes: number; readonly loopbackBytes: number };
}

const full: Profile = {
  name: 'full',
  rounds: 3,
  settleMs: 1000,
  push: {
    small: { bytes: MiB, reps: 64 },
    large: [{ bytes: 64 * MiB, reps: 4 }, { bytes: 256 * MiB, reps: 2 }, { bytes: GiB, reps: 1 }],
    chunked: { bytes: 256 * MiB, reps: 2, chunkBytes: 8 * MiB },
  },
  pull: { sizes: [{ bytes: 64 * MiB, reps: 4 }, { bytes: 256 * MiB, reps: 2 }, { bytes: GiB, reps: 2 }], verify: false },
  fanOut: { clients: 50, bytes: 64 * MiB, reps: 2, verify: false },
  manifests: { clients: 32, seconds: 10 },
  images: { count: 1000, inFlight: 8, layerBytes: 4 * KiB },
  tags: { count: 10_000, inFlight: 8, listClients: 4, listSeconds: 5 },
  skopeo: { layers: 5, layerBytes: 60 * MiB, reps: 2 },
  auth: { clients: 32, seconds: 10, images: 100 },
  scale: { factor: 1, rounds: 1, seedInFlight: 16, clients: 32, seconds: 10 },
  scan: {
    rounds: 2,
    throughput: { variants: 3, scale: 1 },
    mixed: { images: 30, scale: 0.5 },
    inventories: 100_000,
    rescanTimeoutSeconds: 1200,
    largeLayerBytes: GiB,
    pushes: { count: 4000, inFlight: 8, backlog: 20, bursts: 40 },
  },
  ceilings: { sha256Bytes: 1 * GiB, generatorBytes: 1 * GiB, fsyncBytes: 512 * MiB, loopbackBytes: 4 * GiB },
};

const quick: Profile = {
  name: 'quick',
  rounds: 2,
  settleMs: 500,
  push: {
    small: { bytes: MiB, reps: 16 },
    large: [{ bytes: 64 * MiB, reps: 1 }, { bytes: 256 * MiB, reps: 1 }, { bytes: GiB, reps: 1 }],
    chunked: { bytes: 128 * MiB, reps: 1, chunkBytes: 8 * MiB },
  },
  pull: { sizes: [{ bytes: 64 * MiB, reps: 1 }, { bytes: 256 * MiB, reps: 1 }, { bytes: GiB, reps: 1 }], verify: false },
  fanOut: { clients: 50, bytes: 64 * MiB, reps: 1, verify: false },
  manifests: { clients: 32, seconds: 2.5 },
  images: { count: 200, inFlight: 8, layerBytes: 4 * KiB },
  tags: { count: 1000, inFlight: 8, listClients: 4, listSeconds: 1.5 },
  skopeo: { layers: 5, layerBytes: 20 * MiB, reps: 1 },
  auth: { clients: 32, seconds: 2.5, images: 40 },
  scale: { factor: 0.02, rounds: 1, seedInFlight: 16, clients: 32, seconds: 2.5 },
  scan: {
    rounds: 1,
    throughput: { variants: 1, scale: 1 },
    mixed: { images: 10, scale: 0.5 },
    // Seeding 100,000 takes over 2 minutes of CPU here (about 8 GB): quick seeds a fifth, and its table says so.
    inventories: 20_000,
    rescanTimeoutSeconds: 300,
    largeLayerBytes: GiB,
    pushes: { count: 1000, inFlight: 8, backlog: 5, bursts: 10 },
  },
  ceilings: { sha256Bytes: 512 * MiB, generatorBytes: 512 * MiB, fsyncBytes: 256 * MiB, loopbackBytes: 2 * GiB },
};

/** Tiny sizes and durations: checks that everything works end to end in about a minute; its figures mean little. */
const smoke: Profile = {
  name: 'smoke',
  rounds: 2,
  settleMs: 300,
  push: {
    small: { bytes: MiB, reps: 4 },
    large: [{ bytes: 4 * MiB, reps: 1 }, { bytes: 8 * MiB, reps: 1 }, { bytes: 16 * MiB, reps: 1 }],
    chunked: { bytes: 20 * MiB + 12345, reps: 1, chunkBytes: 8 * MiB },
  },
  pull: { sizes: [{ bytes: 4 * MiB, reps: 1 }, { bytes: 8 * MiB, reps: 1 }, { bytes: 16 * MiB + 7, reps: 1 }], verify: true },
  fanOut: { clients: 50, bytes: MiB, reps: 1, verify: true },
  manifests: { clients: 32, seconds: 1 },
  images: { count: 40, inFlight: 8, layerBytes: 4 * KiB },
  tags: { count: 300, inFlight: 8, listClients: 4, listSeconds: 0.5 },
  skopeo: { layers: 5, layerBytes: MiB, reps: 1 },
  auth: { clients: 32, seconds: 1, images: 10 },
  scale: { factor: 0.002, rounds: 2, seedInFlight: 16, clients: 32, seconds: 1 },
  scan: {
    rounds: 1,
    throughput: { variants: 1, scale: 0.05 },
    mixed: { images: 5, scale: 0.05 },
    inventories: 2_000,
    rescanTimeoutSeconds: 120,
    largeLayerBytes: 64 * MiB,
    pushes: { count: 50, inFlight: 8, backlog: 2, bursts: 2 },
  },
  ceilings: { sha256Bytes: 64 * MiB, generatorBytes: 64 * MiB, fsyncBytes: 32 * MiB, loopbackBytes: 256 * MiB },
};

export const profiles: Record<ProfileName, Profile> = { smoke, quick, full };
