/**
 * File output that never leaves a partial file behind.
 *
 * @module
 */

/**
 * Writes `bytes` to `path` atomically: a temporary file beside it, fsync, then rename, so a
 * crash leaves either the old file or the new one, never a partial one.
 *
 * @example
 * ```ts
 * await writeFileAtomic("out/report.md", new TextEncoder().encode(text));
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
    await f.sync();
  } catch (e) {
    f.close();
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  f.close();
  await Deno.rename(tmp, path);
}
