// The README's commands and CI must use the Deno version pinned in .deno-version.
import assert from "assert";

Deno.test("README and CI use the pinned Deno version", () => {
  const version = Deno.readTextFileSync(new URL(".deno-version", import.meta.url)).trim();
  const readme = Deno.readTextFileSync(new URL("README.md", import.meta.url));
  assert.match(version, /^\d+\.\d+\.\d+$/);
  assert.ok(readme.includes(`npx -y deno@${version} task test`), "README test command");
  assert.ok(readme.includes(`npx -y deno@${version} task demo`), "README main job");
  const ci = Deno.readTextFileSync(new URL(".ci/run", import.meta.url));
  assert.ok(
    ci.includes("task test") && ci.includes(".deno-version"),
    "CI reads the pin and runs the tests",
  );
  const pinned = [...readme.matchAll(/deno@(\d+\.\d+\.\d+)/g)].map((m) => m[1]);
  assert.ok(
    pinned.every((v) => v === version),
    `README pins ${pinned.join(", ")}, .deno-version ${version}`,
  );
});
