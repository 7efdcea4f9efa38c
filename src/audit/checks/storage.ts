/**
 * Block devices behind guest disks: the I/O scheduler should fit the device (none for NVMe,
 * a light one for SSDs, mq-deadline/bfq for spinning disks).
 */
import { makeFix, writeFileStep } from '../fix.js';
import { quoteShellWord } from '../../shared/shell-quote.js';
import { selectedChoice } from '../probe-helpers.js';
import type { Check } from '../types.js';

/** Virtual or stacked devices whose scheduler is not a tuning decision (or is always none). */
const NOT_DISKS = /^(loop|ram|zram|sr|fd|dm-|md|nbd)\d*/;

type Kind = 'nvme' | 'ssd' | 'rotational';

/** What a sensible scheduler is for each kind of device, and what to set instead. */
const GOOD: Record<Kind, { ok: string[]; want: string }> = {
  nvme: { ok: ['none'], want: 'none' },
  ssd: { ok: ['none', 'mq-deadline', 'noop', 'deadline'], want: 'none' },
  rotational: { ok: ['mq-deadline', 'bfq', 'deadline', 'cfq'], want: 'mq-deadline' },
};

const ioScheduler: Check = {
  id: 'storage.io-scheduler',
  title: 'I/O scheduler per block device',
  category: 'storage',
  needsRoot: true,
  why: 'NVMe and SSDs are fastest with no scheduler (none) or a light one; bfq/kyber add CPU per request. Spinning disks need mq-deadline or bfq to keep seeks in order.',
  run(ctx) {
    const disks = ctx.hostFs.list('/sys/block').filter((name) => !NOT_DISKS.test(name));
    if (disks.length === 0) return { status: 'info', evidence: '/sys/block: no disks (only virtual devices)', fix: null };
    const rows: string[] = [];
    const bad: { disk: string; kind: Kind; want: string }[] = [];
    let unknown = 0;
    for (const disk of disks) {
      const line = ctx.hostFs.readLine(`/sys/block/${disk}/queue/scheduler`);
      const rotational = ctx.hostFs.readLine(`/sys/block/${disk}/queue/rotational`);
      if (line === null) {
        rows.push(`${disk}: scheduler ${ctx.hostFs.why(`/sys/block/${disk}/queue/scheduler`)}`);
        unknown++;
        continue;
      }
      const current = selectedChoice(line) ?? line;
      const kind: Kind = disk.startsWith('nvme') ? 'nvme' : rotational === '1' ? 'rotational' : 'ssd';
      rows.push(`${disk} (${kind}): ${current}`);
      const rule = GOOD[kind];
      const available = line.replace(/[[\]]/g, '').split(/\s+/);
      if (!rule.ok.includes(current) && available.includes(rule.want)) bad.push({ disk, kind, want: rule.want });
    }
    const evidence = `/sys/block/*/queue/scheduler: ${rows.join(', ')}`;
    if (bad.length === 0) {
      if (unknown === disks.length) return { status: 'skip', evidence: `unknown: ${evidence}`, fix: null };
      return { status: 'pass', evidence, fix: null };
    }
    const rules = [...new Set(bad.map((entry) => entry.kind))].map((kind) => {
      const match = kind === 'nvme' ? 'KERNEL=="nvme[0-9]*n[0-9]*"' : `KERNEL=="sd[a-z]*|vd[a-z]*", ATTR{queue/rotational}=="${kind === 'rotational' ? 1 : 0}"`;
      return `ACTION=="add|change", ${match}, ATTR{queue/scheduler}="${GOOD[kind].want}"`;
    });
    return {
      status: 'warn',
      evidence: `${evidence}; better: ${bad.map((entry) => `${entry.disk} → ${entry.want}`).join(', ')}`,
      fix: makeFix({
        steps: bad.map((entry) => writeFileStep([`/sys/block/${entry.disk}/queue/scheduler`], entry.want)),
        // /etc/udev/rules.d is absent where no udev is installed: made first, so the write cannot stop the script.
        persistent: [`mkdir -p /etc/udev/rules.d; printf '%s\\n' ${rules.map(quoteShellWord).join(' ')} > /etc/udev/rules.d/60-kvm-tui-iosched.rules`],
        applicable: true,
      }),
    };
  },
};

export const STORAGE_CHECKS: Check[] = [ioScheduler];
