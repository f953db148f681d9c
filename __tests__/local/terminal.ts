/**
 * Runs the bot the way a person does from a terminal: `npm start` (or node on
 * `local/run.ts` directly) as the leader of its own process group, so that
 * signals can be sent to the whole group, as a terminal sends Ctrl-C and hang-up.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "..", "..");

/** What a person's checkout may hold that no test may read: their settings and data. */
const PERSONAL = new Set([".env", ".data", ".demo-data", ".git"]);
let project: string | undefined;

/**
 * The project as the tests run it: a folder of links to the checkout's files,
 * without its `.env` and data. `npm start` and the operator scripts read `.env`
 * from the folder they run in; run from the checkout, a developer's own token
 * (the quick start puts it there) would start a real bot from a test.
 */
export function projectFolder(): string {
  if (project) return project;
  const folder = mkdtempSync(join(tmpdir(), "chatbot-project-"));
  for (const name of readdirSync(root))
    if (!PERSONAL.has(name)) symlinkSync(join(root, name), join(folder, name));
  process.once("exit", () => rmSync(folder, { recursive: true, force: true }));
  project = folder;
  return folder;
}

/**
 * A fresh `DATA_DIR` and the environment `npm start` runs with against the fake
 * Telegram and Ollama. Open to everyone: these tests are about the terminal, not
 * access (closed by default is tested in faults/owner).
 */
export function terminalEnv(
  name: string,
  telegram: { readonly token: string; readonly url: string },
  ollama: { readonly url: string },
): { dataDir: string; env: Record<string, string> } {
  const dataDir = mkdtempSync(join(tmpdir(), `chatbot-${name}-`));
  return {
    dataDir,
    env: {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_URL: telegram.url,
      OLLAMA_URL: ollama.url,
      DATA_DIR: dataDir,
      ALLOWED_USER_IDS: "*",
    },
  };
}

/** A bot process started from a "terminal". */
export interface TerminalBot {
  readonly child: ChildProcess;
  /** Everything printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the whole process group, as a terminal does. */
  signalGroup(signal: NodeJS.Signals): void;
}

function track(child: ChildProcess): TerminalBot {
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    signalGroup(signal) {
      if (child.pid === undefined) throw new Error("the process did not start");
      process.kill(-child.pid, signal);
    },
  };
}

/** Only the documented settings, plus what npm and node need to run. */
function environment(env: Readonly<Record<string, string>>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    npm_config_update_notifier: "false",
    ...env,
  };
}

/** `npm start`, exactly as a user types it, in its own process group. */
export function npmStart(env: Readonly<Record<string, string>>): TerminalBot {
  return npmRun("start", env);
}

/** `npm run <script>` (`npm start` is `start`), as a user types it, in its own process group. */
export function npmRun(script: string, env: Readonly<Record<string, string>>): TerminalBot {
  return track(
    spawn("npm", ["run", script], {
      cwd: projectFolder(),
      env: environment(env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    }),
  );
}

/** What `npm start` runs (node with tsx's loader on `local/run.ts`), in its own process group. */
export function nodeStart(env: Readonly<Record<string, string>>): TerminalBot {
  return track(
    spawn(process.execPath, ["--import", "tsx", "local/run.ts"], {
      cwd: projectFolder(),
      env: environment(env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    }),
  );
}

/** Ends a bot a test left running (its whole process group), so no process outlives the test. */
export async function killIfRunning(bot: TerminalBot | undefined): Promise<void> {
  if (!bot || bot.child.exitCode !== null || bot.child.signalCode !== null) return;
  bot.signalGroup("SIGKILL");
  await bot.exited;
}

/** Waits until `check` holds, polling every 50 ms. */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lets `ms` pass (a person's pause between two key presses). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
