/** The distribution the audit's package fixes are written for: os-release(5) through the HostFs. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { HostFs } from '../../src/host/host-fs.js';
import { parseOsRelease, readDistro } from '../../src/host/os-release.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { HOSTS_DIR } from './fixture-hosts.js';

function rootWith(text: string | null, file = 'etc/os-release'): string {
  const root = scratchDir('os-release');
  if (text !== null) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe('os-release', () => {
  test('values unquoted as the man page says', () => {
    const fields = parseOsRelease('ID=debian\nPRETTY_NAME="Debian \\"12\\" \\$x"\nNAME=\'Single Quoted\'\n# comment\nnot an assignment\n');
    assert.deepEqual(Object.fromEntries(fields), { ID: 'debian', PRETTY_NAME: 'Debian "12" $x', NAME: 'Single Quoted' });
  });

  test('families from ID, then ID_LIKE; unknown stays null', () => {
    const family = (text: string) => readDistro(new HostFs(rootWith(text))).family;
    assert.equal(family('ID=ubuntu\nID_LIKE=debian\n'), 'debian');
    assert.equal(family('ID="rocky"\nID_LIKE="rhel centos fedora"\n'), 'fedora');
    assert.equal(family('ID=fedora\n'), 'fedora');
    assert.equal(family('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n'), 'suse');
    assert.equal(family('ID=manjaro\nID_LIKE=arch\n'), 'arch');
    assert.equal(family('ID=mydistro\nID_LIKE="ubuntu debian"\n'), 'debian', 'a derivative is found through ID_LIKE');
    assert.equal(family('ID=alpine\n'), null);
    assert.equal(family("ID='debian;touch x'\n"), null, 'an ID that is not one word matches nothing');
  });

  test('/usr/lib/os-release is the fallback; neither file: the reason', () => {
    assert.deepEqual(readDistro(new HostFs(rootWith('ID=debian\n', 'usr/lib/os-release'))), { family: 'debian', id: 'debian', name: 'debian', source: '/usr/lib/os-release' });
    assert.deepEqual(readDistro(new HostFs(rootWith(null))), { family: null, id: null, name: null, source: '/etc/os-release, /usr/lib/os-release: missing' });
  });

  test('a captured root answers for the captured host (--root), and control characters leave the name', () => {
    assert.equal(readDistro(new HostFs(path.join(HOSTS_DIR, 'well-tuned'))).name, 'Rocky Linux 9.3 (Blue Onyx)');
    assert.equal(readDistro(new HostFs(rootWith('ID=debian\nPRETTY_NAME="A\x1b[2JB"\n'))).name, 'A[2JB');
  });
});
