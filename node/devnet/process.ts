import { spawn } from "node:child_process";
import fs from "node:fs";
import { DevnetError } from "./errors.js";

export interface StartProcessOptions {
  /** Short name used in error messages ("hardhat node", "ponder"). */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here; nothing goes to the console. */
  logFile: string;
  /** The signal that asks this program to shut down cleanly. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopOptions {
  /** How long the process may take to shut down after SIGTERM before it gets SIGKILL. */
  timeoutMs?: number;
}

/** A child process that leads its own process group, so stopping it stops everything it spawned. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** The exit status once the process has exited. */
  exitStatus(): ProcessExit | undefined;
  /** The stop signal to the group, then SIGKILL after the timeout; resolves once it has exited. Idempotent. */
  stop(options?: StopOptions): Promise<ProcessExit>;
}

const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Process groups still running, killed if this process exits without stopping them. */
const live = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * A test that crashes or is killed must not leave chains and indexers running on the
 * machine, so every live group gets SIGKILL when this process exits or is told to stop.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const pid of live) killGroup(pid, "SIGKILL");
    live.clear();
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      // A program with its own handler (a devnet CLI) shuts down gracefully by itself and
      // stops its processes; the "exit" hook is the backstop. Alone, we mimic the default.
      if (process.listenerCount(signal) > 0) return;
      killAll();
      // Re-raise with the default disposition so the exit status still says which signal it was.
      process.kill(process.pid, signal);
    });
  }
}

/** Starts `command` in a new process group with its output appended to `logFile`. */
export function startProcess(options: StartProcessOptions): ManagedProcess {
  installExitHook();
  const log = fs.openSync(options.logFile, "a");
  let child;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ["ignore", log, log],
    });
  } finally {
    // The child holds its own descriptor; ours is not needed once it is spawned.
    fs.closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new DevnetError("PROCESS_EXITED", `${options.name} could not be spawned`, { logFile: options.logFile });
  }
  live.add(pid);

  let status: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    const done = (exit: ProcessExit) => {
      if (status) return;
      status = exit;
      live.delete(pid);
      // Anything the leader left behind in its group goes with it.
      killGroup(pid, "SIGKILL");
      resolve(exit);
    };
    child.once("exit", (code, signal) => done({ code, signal }));
    child.once("error", () => done({ code: null, signal: null }));
  });

  let stopping: Promise<ProcessExit> | undefined;
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    exitStatus: () => status,
    stop({ timeoutMs = DEFAULT_STOP_TIMEOUT_MS } = {}) {
      if (status) return Promise.resolve(status);
      stopping ??= (async () => {
        killGroup(pid, options.stopSignal ?? "SIGTERM");
        const timer = setTimeout(() => killGroup(pid, "SIGKILL"), timeoutMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

/** The size of `logFile` now (0 if it does not exist): where a process started next will begin writing. */
export function logOffset(logFile: string): number {
  try {
    return fs.statSync(logFile).size;
  } catch {
    return 0;
  }
}

/**
 * Whether `logFile` contains `text` after byte `offset`. Servers here bind a port that was free
 * a moment before (ports.ts), so with several devnets starting at once (parallel test files)
 * another process may win it; a server's own "listening on" line, in its own log, is the only
 * proof that what answers on the port is that server.
 */
export function loggedSince(logFile: string, offset: number, text: string): boolean {
  let content: Buffer;
  try {
    content = fs.readFileSync(logFile);
  } catch {
    return false;
  }
  return content.subarray(offset).toString("utf8").includes(text);
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Fail fast if this process exits while waiting. */
  process?: ManagedProcess;
  /** What is being waited for, for the timeout message. */
  what: string;
}

/**
 * Polls `check` until it returns a value other than `undefined`. Exceptions thrown by
 * `check` count as "not yet" (a server that is still starting refuses connections).
 */
export async function waitFor<T>(check: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    const exit = options.process?.exitStatus();
    if (exit) {
      throw new DevnetError(
        "PROCESS_EXITED",
        `${options.process!.name} exited (code ${exit.code}, signal ${exit.signal}) while waiting for ${options.what}`,
        { logFile: options.process!.logFile, details: { ...exit } },
      );
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new DevnetError("TIMEOUT", `timed out after ${options.timeoutMs} ms waiting for ${options.what}`, {
        cause: lastError,
        logFile: options.process?.logFile,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
