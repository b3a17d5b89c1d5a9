import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DevnetError } from "./errors.js";
import { freePort, LOOPBACK } from "./ports.js";
import { startProcess, waitFor, type ManagedProcess } from "./process.js";

export interface StartPostgresOptions {
  /** Run directory for the log (`<dir>/postgres.log`); the cluster gets its own temp dir, removed on stop. */
  dir: string;
  port?: number;
  timeoutMs?: number;
}

export interface PostgresHandle {
  /** postgresql:// URL of the `postgres` database, for DATABASE_URL. */
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

const USER = "dekmesh";

/** The directory holding `initdb` and `postgres`, or undefined if this machine has none. */
export function findPostgresBinaries(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? "").split(path.delimiter),
    ...(fs.existsSync("/usr/lib/postgresql")
      ? fs.readdirSync("/usr/lib/postgresql").sort().reverse().map((v) => path.join("/usr/lib/postgresql", v, "bin"))
      : []),
  ];
  return candidates.find((dir) => dir && fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "postgres")));
}

/**
 * PostgreSQL refuses to run as root. When we are root, run it as the `postgres` system user
 * (setpriv execs in place, so the server stays the leader of its process group).
 */
function asServerUser(dataDir: string): { wrap: (cmd: string, args: string[]) => [string, string[]] } {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  } catch (cause) {
    throw new DevnetError("PROCESS_EXITED", "running as root and no `postgres` user to run PostgreSQL as", { cause });
  }
  fs.chownSync(dataDir, uid, gid);
  return { wrap: (cmd, args) => ["setpriv", ["--reuid", String(uid), "--regid", String(gid), "--clear-groups", "--", cmd, ...args]] };
}

/** initdb + postgres on a loopback port, trust auth, durability off (test data only). */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresHandle> {
  const bin = findPostgresBinaries();
  if (!bin) throw new DevnetError("PROCESS_EXITED", "no PostgreSQL binaries (initdb, postgres) on this machine");
  fs.mkdirSync(options.dir, { recursive: true });
  // A directory of its own under the system temp dir: when the server runs as another user,
  // it could not reach one inside a private run directory.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dekmesh-postgres-"));
  const logFile = path.join(options.dir, "postgres.log");
  const user = asServerUser(dataDir);

  const [initCmd, initArgs] = user.wrap(path.join(bin, "initdb"), [
    "-D", dataDir, "-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C",
  ]);
  const init = startProcess({ name: "initdb", command: initCmd, args: initArgs, cwd: dataDir, logFile });
  const initExit = await init.exited;
  if (initExit.code !== 0) throw new DevnetError("PROCESS_EXITED", `initdb failed (code ${initExit.code})`, { logFile });

  const port = options.port ?? (await freePort());
  const [cmd, args] = user.wrap(path.join(bin, "postgres"), [
    "-D", dataDir, "-p", String(port), "-k", dataDir,
    "-c", `listen_addresses=${LOOPBACK}`, "-c", "fsync=off", "-c", "synchronous_commit=off",
    "-c", "full_page_writes=off", "-c", "max_connections=100",
  ]);
  // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to leave.
  const child = startProcess({ name: "postgres", command: cmd, args, cwd: dataDir, logFile, stopSignal: "SIGINT" });
  await waitFor(
    async () => (fs.readFileSync(logFile, "utf8").includes("ready to accept connections") ? true : undefined),
    { timeoutMs: options.timeoutMs ?? 30_000, process: child, what: `postgres on port ${port}` },
  );
  return {
    url: `postgresql://${USER}@${LOOPBACK}:${port}/postgres`,
    port,
    logFile,
    process: child,
    stop: async () => {
      await child.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
