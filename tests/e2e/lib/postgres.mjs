// A throwaway PostgreSQL cluster for the end-to-end tests: initdb into a fresh folder under the
// temp directory, a server listening only on a unix socket in that folder (trust authentication
// for the superuser "postgres"), databases created on demand, and everything stopped
// (pg_ctl stop -m immediate) and removed at the end. As root, initdb, pg_ctl and psql run as the
// `postgres` user (runuser). A watchdog shell does the same clean-up should this process die
// without running its exit handlers (SIGKILL, a crash).
//
// The server binaries come from $PG_BINDIR or the newest /usr/lib/postgresql/<version>/bin
// (scripts/install-deps installs them); without them startPostgres() throws, so a test that
// asked for PostgreSQL fails rather than skips.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PORT = 5432; // only names the socket file: the folder is ours alone

function findBindir() {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  let versions = [];
  try {
    versions = fs.readdirSync('/usr/lib/postgresql').filter((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`));
  } catch {
    // no PostgreSQL at all
  }
  if (versions.length === 0) {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or $PG_BINDIR: install them with scripts/install-deps');
  }
  versions.sort((a, b) => Number(a) - Number(b));
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
}

const asRoot = process.getuid?.() === 0;

/** [command, ...args] run as postgres when we are root. */
function asPostgres(argv) {
  return asRoot ? ['runuser', '-u', 'postgres', '--', ...argv] : argv;
}

function run(argv, { cwd, timeout = 60000 } = {}) {
  const [cmd, ...args] = asPostgres(argv);
  // Node's default 1 MiB of output is less than a busy durability run's comment rows.
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
  return r;
}

/** A name that can be a database's without quoting. */
function checkName(name) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name: ${name}`);
  return name;
}

/**
 * Starts a cluster. Resolves {
 *   dir, url(dbName) -> postgresql:// URL (unix socket), createDatabase(name), dropDatabase(name),
 *   queryJson(dbName, sql) -> the rows of `sql` as objects (through json_agg),
 *   stopServer(), startServer() (the server alone, same data and socket: a database outage),
 *   stop() (idempotent),
 * }.
 */
export async function startPostgres() {
  const bindir = findBindir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reportd-pg-'));
  const data = path.join(dir, 'data');
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0) throw new Error('running as root, but there is no user postgres');
    fs.chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }

  // Stops the server and removes the folder when this process is gone, however it ended.
  const stopCommand = asPostgres([path.join(bindir, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']).join(' ');
  const watchdog = spawn(
    '/bin/sh',
    ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; cd /; ${stopCommand} >/dev/null 2>&1; rm -rf ${dir}`],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', stop);
    run([path.join(bindir, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], { cwd: dir });
    fs.rmSync(dir, { recursive: true, force: true });
    try {
      process.kill(watchdog.pid);
    } catch {
      // already gone
    }
  };
  process.on('exit', stop);

  const startServer = () => {
    const options = `-c listen_addresses='' -k ${dir} -p ${PORT} -c fsync=off`;
    const start = run([path.join(bindir, 'pg_ctl'), '-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', '-o', options, 'start'], { cwd: dir });
    if (start.status !== 0) {
      let log = '';
      try {
        log = fs.readFileSync(path.join(dir, 'server.log'), 'utf8');
      } catch {
        // no log
      }
      throw new Error(`pg_ctl start failed: ${start.stdout}${start.stderr}\n${log}`);
    }
  };
  const stopServer = () => {
    const r = run([path.join(bindir, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], { cwd: dir });
    if (r.status !== 0) throw new Error(`pg_ctl stop failed: ${r.stdout}${r.stderr}`);
  };

  try {
    const init = run([path.join(bindir, 'initdb'), '-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '-N'], { cwd: dir });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stdout}${init.stderr}`);
    startServer();
  } catch (err) {
    stop();
    throw err;
  }

  const psql = (db, sql) => {
    const r = run([path.join(bindir, 'psql'), '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(PORT), '-U', 'postgres', '-d', db, '-c', sql], { cwd: dir });
    if (r.status !== 0) throw new Error(`psql "${sql}" failed: ${r.stderr}`);
    return r.stdout;
  };

  return {
    dir,
    url: (name) => `postgresql://postgres@/${checkName(name)}?host=${encodeURIComponent(dir)}&port=${PORT}`,
    createDatabase(name) {
      psql('postgres', `CREATE DATABASE ${checkName(name)}`);
    },
    dropDatabase(name) {
      psql('postgres', `DROP DATABASE IF EXISTS ${checkName(name)} WITH (FORCE)`);
    },
    queryJson(name, sql) {
      const out = psql(checkName(name), `SELECT coalesce(json_agg(q), '[]') FROM (${sql}) q`);
      return JSON.parse(out);
    },
    stopServer,
    startServer,
    stop,
  };
}
