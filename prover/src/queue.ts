/**
 * A durable proving-job queue on the file system, shared by any number of prover processes on one
 * host (or on a shared POSIX file system with atomic rename and O_EXCL).
 *
 *   <dir>/jobs/<id>.json      the job, written once
 *   <dir>/status/<id>.json    state, attempts, last error, timings
 *   <dir>/leases/<id>.json    who is proving it, until when (a heartbeat extends it)
 *   <dir>/results/<id>.json   the proof
 *
 * Every write goes to a temporary file that is fsynced and renamed over the target, then the
 * directory is fsynced: a crash leaves either the old or the new version. A job is claimed by
 * creating its lease with O_EXCL; a lease whose holder stopped renewing it (crash) expires and is
 * taken over by renaming it away first (only one taker wins the rename). The same owner id (a
 * restarted process) takes its own leases back immediately. Job ids sort by block height, so
 * blocks are claimed oldest first; a failed job never blocks later ones.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export type JobState = 'pending' | 'running' | 'done' | 'failed';

export type JobStatus = {
  id: string;
  state: JobState;
  attempts: number;
  enqueuedAt: number;
  updatedAt: number;
  /** Not before this time (retry backoff). */
  nextAttemptAt: number;
  error?: { code: string; message: string; permanent: boolean };
  owner?: string;
  timings?: Record<string, number>;
};

export type Lease = {
  id: string;
  owner: string;
  /** Random per opened queue instance: tells a restarted process from the one still running. */
  incarnation: string;
  token: string;
  expiresAt: number;
};

export type QueueOptions = {
  /** Lease duration; holders renew it every leaseMs / 3. */
  leaseMs?: number;
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. */
  backoffMs?: number;
};

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  readonly code = 'LEASE_LOST';
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Atomically replace `path` with `data` (durable once this resolves). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = join(path, '..');
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export class FileJobQueue<J = unknown, R = unknown> {
  readonly incarnation = randomBytes(8).toString('hex');
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly backoffMs: number;

  private constructor(
    readonly dir: string,
    options: QueueOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoffMs = options.backoffMs ?? 2_000;
  }

  static async open<J, R>(dir: string, options: QueueOptions = {}): Promise<FileJobQueue<J, R>> {
    for (const d of ['jobs', 'status', 'leases', 'results']) await mkdir(join(dir, d), { recursive: true });
    return new FileJobQueue<J, R>(dir, options);
  }

  private path(kind: 'jobs' | 'status' | 'leases' | 'results', id: string): string {
    if (!/^[\w.-]+$/.test(id)) throw new Error(`invalid job id ${JSON.stringify(id)}`);
    return join(this.dir, kind, `${id}.json`);
  }

  /** Add a job (idempotent: an existing id is left untouched). Returns false if it already existed. */
  async enqueue(id: string, job: J): Promise<boolean> {
    if (await readJson(this.path('jobs', id))) return false;
    await writeFileAtomic(this.path('jobs', id), JSON.stringify(job));
    const now = Date.now();
    const status: JobStatus = {
      id,
      state: 'pending',
      attempts: 0,
      enqueuedAt: now,
      updatedAt: now,
      nextAttemptAt: 0,
    };
    await writeFileAtomic(this.path('status', id), JSON.stringify(status));
    return true;
  }

  async ids(): Promise<string[]> {
    return (await readdir(join(this.dir, 'jobs')))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  }

  async status(id: string): Promise<JobStatus | undefined> {
    return readJson<JobStatus>(this.path('status', id));
  }

  async result(id: string): Promise<R | undefined> {
    return readJson<R>(this.path('results', id));
  }

  /** Raw job text (a malformed job is still readable, so it can be failed with a clear error). */
  async jobText(id: string): Promise<string> {
    return readFile(this.path('jobs', id), 'utf8');
  }

  async list(): Promise<JobStatus[]> {
    const out: JobStatus[] = [];
    for (const id of await this.ids()) {
      const s = await this.status(id);
      if (s) out.push(s);
    }
    return out;
  }

  /** Claim the oldest runnable job for `owner`, or undefined if none. */
  async claim(owner: string): Promise<{ lease: Lease; status: JobStatus } | undefined> {
    const now = Date.now();
    for (const id of await this.ids()) {
      const status = await this.status(id);
      if (!status || status.state === 'done' || status.state === 'failed') continue;
      if (status.nextAttemptAt > now) continue;
      const lease = await this.tryLease(id, owner);
      if (!lease) continue;
      // re-read after winning the lease: another holder may have just finished it
      const fresh = (await this.status(id))!;
      if (fresh.state === 'done' || fresh.state === 'failed') {
        await this.release(lease);
        continue;
      }
      const next: JobStatus = {
        ...fresh,
        state: 'running',
        attempts: fresh.attempts + 1,
        owner,
        updatedAt: Date.now(),
      };
      await writeFileAtomic(this.path('status', id), JSON.stringify(next));
      return { lease, status: next };
    }
    return undefined;
  }

  private async tryLease(id: string, owner: string): Promise<Lease | undefined> {
    const path = this.path('leases', id);
    for (let attempt = 0; attempt < 2; attempt++) {
      const lease: Lease = {
        id,
        owner,
        incarnation: this.incarnation,
        token: randomBytes(8).toString('hex'),
        expiresAt: Date.now() + this.leaseMs,
      };
      try {
        const fh = await open(path, 'wx');
        try {
          await fh.writeFile(JSON.stringify(lease));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fsyncDir(join(this.dir, 'leases'));
        return lease;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = await readJson<Lease>(path);
      const ours = held?.owner === owner;
      if (held && ours && held.incarnation === this.incarnation) return undefined; // we are proving it
      if (held && !ours && held.expiresAt > Date.now()) return undefined;
      // expired, or ours from before a restart: move it away; only one contender's rename succeeds
      try {
        await rename(path, `${path}.${randomBytes(4).toString('hex')}.stale`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for (const f of await readdir(join(this.dir, 'leases'))) {
        if (f.startsWith(`${id}.json.`) && f.endsWith('.stale'))
          await rm(join(this.dir, 'leases', f), { force: true });
      }
    }
    return undefined;
  }

  /** Still holding `lease`? */
  async holds(lease: Lease): Promise<boolean> {
    const held = await readJson<Lease>(this.path('leases', lease.id));
    return held?.token === lease.token;
  }

  /** Extend the lease (heartbeat). Throws LeaseLostError if another process took the job over. */
  async renew(lease: Lease): Promise<Lease> {
    if (!(await this.holds(lease))) throw new LeaseLostError(`lease on ${lease.id} was taken over`);
    const next = { ...lease, expiresAt: Date.now() + this.leaseMs };
    await writeFileAtomic(this.path('leases', lease.id), JSON.stringify(next));
    return next;
  }

  private async release(lease: Lease): Promise<void> {
    if (await this.holds(lease)) await rm(this.path('leases', lease.id), { force: true });
  }

  async updateTimings(lease: Lease, timings: Record<string, number>): Promise<void> {
    const s = await this.status(lease.id);
    if (s)
      await writeFileAtomic(
        this.path('status', lease.id),
        JSON.stringify({ ...s, timings, updatedAt: Date.now() }),
      );
  }

  /** Record the result and mark the job done. */
  async complete(lease: Lease, result: R, timings: Record<string, number>): Promise<void> {
    if (!(await this.holds(lease)))
      throw new LeaseLostError(`lease on ${lease.id} was taken over before completion`);
    await writeFileAtomic(this.path('results', lease.id), JSON.stringify(result));
    const s = (await this.status(lease.id))!;
    const { error: _previous, ...rest } = s;
    const next: JobStatus = { ...rest, state: 'done', timings, updatedAt: Date.now() };
    await writeFileAtomic(this.path('status', lease.id), JSON.stringify(next));
    await this.release(lease);
  }

  /**
   * Record a failure. Permanent failures (malformed job) and the last allowed attempt mark the job
   * failed; otherwise it goes back to pending after an exponential backoff.
   */
  async fail(lease: Lease, error: { code: string; message: string }, permanent: boolean): Promise<JobStatus> {
    const s = (await this.status(lease.id))!;
    const final = permanent || s.attempts >= this.maxAttempts;
    const next: JobStatus = {
      ...s,
      state: final ? 'failed' : 'pending',
      error: { ...error, permanent },
      updatedAt: Date.now(),
      nextAttemptAt: final ? 0 : Date.now() + this.backoffMs * 2 ** (s.attempts - 1),
    };
    if (await this.holds(lease)) {
      await writeFileAtomic(this.path('status', lease.id), JSON.stringify(next));
      await this.release(lease);
    }
    return next;
  }

  async load(id: string): Promise<J> {
    return JSON.parse(await this.jobText(id)) as J;
  }
}
