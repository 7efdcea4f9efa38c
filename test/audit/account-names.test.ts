/**
 * Names from a host's /etc/passwd and /etc/group go into fix commands and config lines only when
 * they are plain account names: a captured passwd line can hold shell syntax, white space or a
 * comment sign, which in limits.conf (split on white space) or a shell line would change what
 * the fix does.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildProbeContext } from '../../src/audit/probe-context.js';
import { SAFE_ACCOUNT_NAME_RE } from '../../src/audit/probe-helpers.js';
import { runChecks } from '../../src/audit/run-checks.js';
import { ALL_CHECKS } from '../../src/audit/checks/index.js';
import { HostFs } from '../../src/host/host-fs.js';
import { realClock } from '../../src/run/real-services.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { HOSTS_DIR } from './fixture-hosts.js';

async function memlockFix(passwdName: string): Promise<string[]> {
  const root = path.join(scratchDir('account-names'), 'host');
  fs.cpSync(path.join(HOSTS_DIR, 'bare'), root, { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), `root:x:0:0:root:/root:/bin/bash\n${passwdName}:x:1000:1000::/home/a:/bin/sh\n`);
  const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: true, env: {}, versionCacheFile: null });
  const [result] = await runChecks(ALL_CHECKS.filter((check) => check.id === 'mem.memlock'), ctx);
  assert.equal(result!.status, 'info', JSON.stringify(result));
  return result!.fix!.persistent;
}

test('memlock: a plain name goes into limits.conf; a name with shell syntax, spaces or # becomes an instruction, never a live line', async () => {
  assert.match((await memlockFix('alice'))[0]!, /alice - memlock unlimited/);
  for (const hostile of ['al ice', 'x$(touch PWNED)', "a';rm -rf /;'", '#all', '*', '-rf']) {
    const [line] = await memlockFix(hostile);
    assert.match(line!, /^# not on this host \(the user name of uid 1000 in \/etc\/passwd is not a plain account name\): /, hostile);
    assert.ok(!line!.includes(hostile) || hostile === '*', `${hostile} is not in the line: ${line}`);
  }
});

test('a plain account name: what shadow-utils accepts', () => {
  for (const good of ['alice', 'a.b-c_d', '_apt', 'host$', 'X1']) assert.ok(SAFE_ACCOUNT_NAME_RE.test(good), good);
  for (const bad of ['', '-a', 'a b', 'a\nb', 'a;b', 'a$b', '$(x)', 'é', 'a'.repeat(40)]) assert.ok(!SAFE_ACCOUNT_NAME_RE.test(bad), JSON.stringify(bad));
});
