interface Event {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Discrete-event clock: events run in (time, insertion) order; time only moves between events. */
export class Scheduler {
  now = 0;
  private heap: Event[] = [];
  private seq = 0;
  executed = 0;

  at(time: number, fn: () => void): Event {
    const ev: Event = { at: Math.max(time, this.now), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return ev;
  }

  after(ms: number, fn: () => void): Event {
    return this.at(this.now + ms, fn);
  }

  cancel(handle: unknown): void {
    (handle as Event).cancelled = true;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs the next event; false when none is left before `until`. */
  step(until: number): boolean {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (top.at > until) return false;
      this.pop();
      if (top.cancelled) continue;
      this.now = top.at;
      this.executed++;
      top.fn();
      return true;
    }
    return false;
  }

  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(ev: Event): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Event {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
