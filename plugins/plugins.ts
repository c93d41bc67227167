/**
 * The plugin door: one `use(plugin)` for every extension kind — consistency objectives, reward
 * kinds and backends. A plugin is a plain value `{ name, apiVersion, ...hooks }`; duplicate
 * names, unknown kinds and incompatible API versions are rejected with clear messages. mfm's
 * built-ins register through the same door. (Contexts for general processes come with the
 * process work.)
 *
 * @module
 */

import { type Backend, registerBackend } from "@mfm/tensor";
import type { Objective } from "@mfm/losses";
import type { RewardFactory } from "@mfm/rewards";
import type { ProcessContext } from "@mfm/processes";

/** The plugin API version this mfm implements; plugins declare the version they were written for. */
export const PLUGIN_API_VERSION = 1;

/** What a plugin may provide. */
export interface Plugin {
  /** Unique name (`my-lab/shortcut`). */
  readonly name: string;
  /** The plugin API version it targets (must equal `PLUGIN_API_VERSION`). */
  readonly apiVersion: number;
  /** One line for `deno task plugins`. */
  readonly description?: string;
  /** Training objectives, registered by their names. */
  readonly objectives?: readonly Objective[];
  /** Reward kinds by name (configs build them with `createReward(name, options)`). */
  readonly rewards?: Readonly<Record<string, RewardFactory>>;
  /** Backends by name (`setBackend(name)`). */
  readonly backends?: Readonly<Record<string, () => Backend>>;
  /** General-process contexts by name (`deno task process:train --context <name>`). */
  readonly contexts?: Readonly<Record<string, ProcessContext>>;
}

const KINDS = ["objectives", "rewards", "backends", "contexts"] as const;
const KEYS = ["name", "apiVersion", "description", ...KINDS];

interface Entry<T> {
  readonly value: T;
  readonly plugin: string;
}

const plugins = new Map<string, Plugin>();
const objectives = new Map<string, Entry<Objective>>();
const rewards = new Map<string, Entry<RewardFactory>>();
const backendOwners = new Map<string, string>();
const contexts = new Map<string, Entry<ProcessContext>>();

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Registers a plugin's objectives, rewards and backends, all or nothing.
 *
 * @example
 * ```ts
 * use({ name: "my-lab/shortcut", apiVersion: 1, objectives: [shortcut] });
 * ```
 */
export function use(plugin: Plugin): void {
  if (typeof plugin !== "object" || plugin === null) {
    throw new TypeError(`use: a plugin must be an object, got ${String(plugin)}`);
  }
  const pname = plugin.name;
  if (typeof pname !== "string" || pname.length === 0) {
    throw new TypeError("use: a plugin needs a non-empty string name");
  }
  const unknown = Object.keys(plugin).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) {
    throw new RangeError(
      `plugin "${pname}": unknown field${unknown.length > 1 ? "s" : ""} ${
        unknown.join(", ")
      }; plugins provide ${KINDS.join(", ")}`,
    );
  }
  if (plugin.apiVersion !== PLUGIN_API_VERSION) {
    throw new RangeError(
      `plugin "${pname}" targets plugin API ${
        JSON.stringify(plugin.apiVersion)
      }; this mfm implements ${PLUGIN_API_VERSION}`,
    );
  }
  if (plugins.has(pname)) throw new Error(`use: a plugin named "${pname}" is already registered`);
  // validate everything before registering anything
  const fail = (msg: string): never => {
    throw new TypeError(`plugin "${pname}": ${msg}`);
  };
  // snake_case and not taken; `article` reads "an objective", "a reward", …
  const checkName = (kind: string, article: string, name: unknown, owner?: string) => {
    if (typeof name !== "string" || !NAME.test(name)) {
      fail(`${kind} name ${JSON.stringify(name)} must be snake_case`);
    }
    if (owner !== undefined) {
      throw new Error(
        `plugin "${pname}": ${article} ${kind} named "${name}" is already registered (by "${owner}")`,
      );
    }
  };
  for (const o of plugin.objectives ?? []) {
    checkName("objective", "an", o?.name, objectives.get(o?.name)?.plugin);
    if (typeof o.residual !== "function") fail(`objective "${o.name}" needs a residual function`);
    if (o.kind !== "diagonal" && o.kind !== "consistency") {
      fail(`objective "${o.name}" kind must be "diagonal" or "consistency"`);
    }
  }
  for (const [name, f] of Object.entries(plugin.rewards ?? {})) {
    checkName("reward", "a", name, rewards.get(name)?.plugin);
    if (typeof f !== "function") fail(`reward "${name}" must be a factory function`);
  }
  for (const [name, f] of Object.entries(plugin.backends ?? {})) {
    if (typeof f !== "function") fail(`backend "${name}" must be a factory function`);
    const prev = backendOwners.get(name);
    if (prev) {
      throw new Error(
        `plugin "${pname}": a backend named "${name}" is already registered (by "${prev}")`,
      );
    }
  }
  for (const [name, c] of Object.entries(plugin.contexts ?? {})) {
    checkName("context", "a", name, contexts.get(name)?.plugin);
    if (typeof c?.problem?.sample !== "function" || typeof c.evaluate !== "function") {
      fail(`context "${name}" needs a problem with sample() and an evaluate function`);
    }
  }
  for (const o of plugin.objectives ?? []) objectives.set(o.name, { value: o, plugin: pname });
  for (const [name, f] of Object.entries(plugin.rewards ?? {})) {
    rewards.set(name, { value: f, plugin: pname });
  }
  for (const [name, c] of Object.entries(plugin.contexts ?? {})) {
    contexts.set(name, { value: c, plugin: pname });
  }
  for (const [name, f] of Object.entries(plugin.backends ?? {})) {
    registerBackend(name, f);
    backendOwners.set(name, pname);
  }
  plugins.set(pname, plugin);
}

/**
 * A registered objective; unknown names list the registered ones.
 *
 * @example
 * ```ts
 * pluginObjective("semigroup");
 * ```
 */
export function pluginObjective(name: string): Objective {
  const e = objectives.get(name);
  if (!e) {
    throw new RangeError(
      `unknown objective "${name}": registered objectives are ${[...objectives.keys()].join(", ")}`,
    );
  }
  return e.value;
}

/**
 * The registered general-process context called `name`, or an error listing the registered ones.
 *
 * @example
 * ```ts
 * const ou = pluginContext("ou");
 * ```
 */
export function pluginContext(name: string): ProcessContext {
  const e = contexts.get(name);
  if (!e) {
    throw new RangeError(
      `unknown context "${name}": registered contexts are ${
        [...contexts.keys()].join(", ") || "none"
      }`,
    );
  }
  return e.value;
}

/**
 * A registered reward factory; unknown names list the registered ones.
 *
 * @example
 * ```ts
 * pluginReward("linear_gaussian");
 * ```
 */
export function pluginReward(name: string): RewardFactory {
  const e = rewards.get(name);
  if (!e) {
    throw new RangeError(
      `unknown reward "${name}": registered rewards are ${[...rewards.keys()].join(", ")}`,
    );
  }
  return e.value;
}

/** What is registered, by plugin. */
export interface PluginListing {
  /** Plugin name. */
  readonly name: string;
  /** Plugin API version it targets. */
  readonly apiVersion: number;
  /** Its description. */
  readonly description?: string;
  /** Objectives it registered. */
  readonly objectives: string[];
  /** Reward kinds it registered. */
  readonly rewards: string[];
  /** Backends it registered. */
  readonly backends: string[];
  /** General-process contexts it registered. */
  readonly contexts: string[];
}

/**
 * Every registered plugin with what it provides.
 *
 * @example
 * ```ts
 * for (const p of listPlugins()) console.log(p.name, p.objectives);
 * ```
 */
export function listPlugins(): PluginListing[] {
  return [...plugins.values()].map((p) => ({
    name: p.name,
    apiVersion: p.apiVersion,
    description: p.description,
    objectives: [...objectives].filter(([, e]) => e.plugin === p.name).map(([n]) => n),
    rewards: [...rewards].filter(([, e]) => e.plugin === p.name).map(([n]) => n),
    backends: [...backendOwners].filter(([, o]) => o === p.name).map(([n]) => n),
    contexts: [...contexts].filter(([, e]) => e.plugin === p.name).map(([n]) => n),
  }));
}

/**
 * Names of the registered objectives / rewards.
 *
 * @example
 * ```ts
 * registeredNames("objectives");
 * ```
 */
export function registeredNames(kind: "objectives" | "rewards" | "contexts"): string[] {
  return [...(kind === "objectives" ? objectives : kind === "rewards" ? rewards : contexts).keys()];
}

/**
 * Loads a plugin module (a path or URL) and `use`s its exported `plugin`.
 *
 * @example
 * ```ts
 * await loadPlugin("./examples/shortcut/mod.ts");
 * ```
 */
export async function loadPlugin(specifier: string): Promise<Plugin> {
  const url = /^[a-z][a-z0-9+.-]*:/i.test(specifier)
    ? specifier
    : new URL(specifier, `file://${Deno.cwd()}/`).href;
  let mod: Record<string, unknown>;
  try {
    mod = await import(url);
  } catch (e) {
    throw new Error(`plugin ${specifier}: cannot load the module (${(e as Error).message})`);
  }
  const plugin = mod.plugin as Plugin | undefined;
  if (!plugin) throw new Error(`plugin ${specifier}: the module has no export named "plugin"`);
  use(plugin);
  return plugin;
}
