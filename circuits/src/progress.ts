/**
 * A one-line progress bar on stderr (redrawn in place on a TTY, a line every 10% otherwise).
 */
export class ProgressBar {
  private lastPct = -1;
  private lastLabel = '';
  private readonly tty: boolean;
  private readonly started = Date.now();

  constructor(
    private readonly title: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  update(done: number, total: number, label = ''): void {
    if (!this.enabled) return;
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
    if (pct === this.lastPct && label === this.lastLabel) return;
    const secs = ((Date.now() - this.started) / 1000).toFixed(0);
    if (this.tty) {
      const width = 30;
      const fill = Math.round((pct / 100) * width);
      this.out.write(
        `\r${this.title} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct}% ${secs}s ${label}`.padEnd(
          110,
        ),
      );
    } else if (Math.floor(pct / 10) !== Math.floor(this.lastPct / 10) || label !== this.lastLabel) {
      this.out.write(`${this.title} ${pct}% ${secs}s ${label}\n`);
    }
    this.lastPct = pct;
    this.lastLabel = label;
  }

  done(message: string): void {
    if (!this.enabled) return;
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    this.out.write(
      `${this.tty ? '\r' : ''}${this.title} ${message} (${secs}s)`.padEnd(this.tty ? 110 : 0) + '\n',
    );
  }
}
