/**
 * A progress bar for long jobs: redraws one line on a terminal, prints a line every few
 * percent otherwise (logs, CI).
 *
 * @module
 */

/**
 * Progress over `total` steps with free-form fields (loss, steps/s).
 *
 * @example
 * ```ts
 * const bar = new ProgressBar("train", 1000);
 * bar.update(10, { loss: "0.123" });
 * bar.done();
 * ```
 */
export class ProgressBar {
  private readonly tty: boolean;
  private readonly start = performance.now();
  private lastPrint = -Infinity;
  private lastLogged = -1;
  private readonly encoder = new TextEncoder();

  /** A bar named `label`; `enabled: false` silences it. */
  constructor(readonly label: string, readonly total: number, readonly enabled = true) {
    this.tty = Deno.stderr.isTerminal();
  }

  /** Reports step `n` (of total) with extra fields. */
  update(n: number, fields: Record<string, string> = {}): void {
    if (!this.enabled) return;
    const now = performance.now();
    const pct = Math.min(1, n / this.total);
    const extras = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join("  ");
    if (this.tty) {
      if (now - this.lastPrint < 100 && n < this.total) return;
      this.lastPrint = now;
      const width = 30;
      const filled = Math.round(pct * width);
      const line = `\r${this.label} [${"#".repeat(filled)}${
        ".".repeat(width - filled)
      }] ${n}/${this.total}  ${extras}`;
      Deno.stderr.writeSync(this.encoder.encode(line.padEnd(100)));
      return;
    }
    const bucket = Math.floor(pct * 10);
    if (bucket > this.lastLogged || n === this.total) {
      this.lastLogged = bucket;
      const secs = ((now - this.start) / 1000).toFixed(1);
      Deno.stderr.writeSync(
        this.encoder.encode(`${this.label} ${n}/${this.total} (${secs} s)  ${extras}\n`),
      );
    }
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.enabled && this.tty) Deno.stderr.writeSync(this.encoder.encode("\n"));
  }
}
