/**
 * Plan -> a bash script that pins an already-running VM (started paused with -S, or running)
 * and then proves it from /proc: the guide's pin_vcpus.sh done right. It never greps `ps` for
 * "CPU": thread ids come from QMP (query-cpus-fast, query-iothreads), the process from the
 * threads' Tgid, and it checks it talks to the right VM (query-name) before touching anything.
 *
 * Every planned value is put in the script through quoteShellWord; the only other input is $1.
 */
import { formatCpuList } from '../host/cpulist.js';
import type { Plan } from '../spec/types.js';
import { runDirPaths } from '../shared/vm-paths.js';
import { quoteShellWord } from '../shared/shell-quote.js';

export interface PinScriptOptions {
  /** Per-VM runtime dir: the default QMP socket is RUNDIR/qmp.sock. */
  runDir: string;
}


const words = (values: readonly string[]) => values.map(quoteShellWord).join(' ');

// Speaks QMP and prints "name NAME", "vcpu INDEX TID", "iothread ID TID" lines. Read by perl from
// a quoted heredoc, so nothing in it is expanded by bash.
const QMP_PERL = String.raw`use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);

my ($path, $timeout) = @ARGV;
# QMP serves one client at a time: a second one is accepted but never greeted.
$SIG{ALRM} = sub { die "no answer on the QMP socket $path within $timeout s (QMP serves one client at a time: is another one connected?)\n" };
alarm $timeout;
my $sock = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path)
  or die "cannot connect to the QMP socket $path: $!\n";
$sock->autoflush(1);
my $greeting = <$sock>;
die "no QMP greeting on $path\n" unless defined $greeting && $greeting =~ /"QMP"/;

my $seq = 0;
# Sends a command and returns its reply line. Replies are matched by the echoed "id", so events
# that QEMU interleaves (they may come before the reply) are skipped.
sub qmp {
  my ($command) = @_;
  $seq++;
  print $sock qq({"execute": "$command", "id": "pin-$seq"}\n);
  while (my $line = <$sock>) {
    next unless $line =~ /"id":\s*"pin-$seq"\}\s*$/;
    if ($line =~ /^\{"error"/) {
      my ($desc) = $line =~ /"desc":\s*"((?:[^"\\]|\\.)*)"/;
      die "QMP $command failed: " . ($desc // $line) . "\n";
    }
    return $line;
  }
  die "QMP socket closed while waiting for $command\n";
}

# JSON string body -> bytes (QEMU escapes non-ASCII as \uXXXX, astral characters as pairs).
sub json_string {
  my ($s) = @_;
  $s =~ s/\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})/chr(0x10000 + ((hex($1) - 0xD800) << 10) + (hex($2) - 0xDC00))/ge;
  my %esc = (n => "\n", t => "\t", r => "\r", b => "\b", f => "\f", '"' => '"', '\\' => '\\', '/' => '/');
  $s =~ s/\\(?:u([0-9a-fA-F]{4})|(.))/defined $1 ? chr(hex $1) : $esc{$2}/ge;
  utf8::encode($s);
  return $s;
}

qmp("qmp_capabilities");
if (($ARGV[2] // '') eq 'cont') {
  qmp("cont");
  close $sock;
  exit 0;
}
my ($name) = qmp("query-name") =~ /"name":\s*"((?:[^"\\]|\\.)*)"/;
$name = defined $name ? json_string($name) : "";
# A name may hold newlines: print it hex-encoded so the line protocol to bash stays intact.
print "name ", unpack("H*", $name), "\n";

my $cpus = qmp("query-cpus-fast");
$cpus =~ s/"props":\s*\{[^{}]*\}//g;    # props holds its own "thread-id" (the SMT position)
while ($cpus =~ /\{([^{}]*)\}/g) {
  my $obj = $1;
  my ($index) = $obj =~ /"cpu-index":\s*(\d+)/;
  my ($tid) = $obj =~ /"thread-id":\s*(\d+)/;
  print "vcpu $index $tid\n" if defined $index && defined $tid;
}
my $iothreads = qmp("query-iothreads");
while ($iothreads =~ /\{([^{}]*)\}/g) {
  my $obj = $1;
  my ($id) = $obj =~ /"id":\s*"([A-Za-z0-9_.-]+)"/;
  my ($tid) = $obj =~ /"thread-id":\s*(\d+)/;
  print "iothread $id $tid\n" if defined $id && defined $tid;
}
close $sock;
`;

export function buildPinScript(plan: Plan, opts: PinScriptOptions): string {
  const spec = plan.spec;
  const qmpSocket = runDirPaths(opts.runDir).qmpSocket;
  const vcpuCpus = plan.vcpus.map((entry) => (entry.hostCpu === null ? '' : String(entry.hostCpu)));
  const nameHex = Buffer.from(spec.name, 'utf8').toString('hex');
  const lines = [
    '#!/bin/bash',
    `# Pins the threads of the running QEMU of VM ${JSON.stringify(spec.name)} as kvm-tui planned it, then`,
    '# checks every thread\'s Cpus_allowed_list in /proc and exits 1 if any differs from the plan.',
    '# Once every pin is verified it resumes the guest (QMP cont: the VM was started paused, -S)',
    '# unless --paused is given; a VM whose pins are wrong is left paused.',
    '#   vCPU threads -> the planned host CPU of each vCPU (query-cpus-fast gives their thread ids)',
    '#   iothreads    -> their planned host CPUs (query-iothreads)',
    '#   emulator     -> every other thread of the process (main loop, RCU, workers); threads QEMU',
    '#                   starts later inherit the main thread\'s affinity',
    '#   vhost        -> vhost-net\'s workers (tap, vhost=on) go with the emulator: threads of QEMU',
    '#                   named vhost-PID since Linux 6.4, kernel threads of that name before it',
    '#',
    '# Usage: $0 [--paused] [QMP_SOCKET]   default socket: the VM\'s, in its kvm-tui run dir (below)',
    '# Exit:  0 pinned, verified (and resumed); 1 a thread\'s affinity differs from the plan;',
    '#        2 QMP unreachable, another VM on that socket, or a vCPU/iothread layout unlike the plan.',
    '#',
    '# Needs bash, taskset and chrt (util-linux) and perl. QMP is JSON on a unix socket, which bash cannot',
    '# open (/dev/tcp is TCP only); socat and python3 are not on a default Debian install, but',
    '# perl-base is Essential (always installed) and has IO::Socket::UNIX. Replies are read with',
    '# regular expressions instead of JSON::PP (perl-modules, not Essential): the two queries return',
    '# flat lists with numeric thread ids. Generated by kvm-tui: edit the VM spec, not this file.',
    'set -euo pipefail',
    '',
    'paused=0',
    'if [[ ${1-} == --paused ]]; then paused=1; shift; fi',
    `qmp_socket=\${1:-${quoteShellWord(qmpSocket)}}`,
    '# Seconds to wait for QMP answers; KVM_TUI_QMP_TIMEOUT overrides.',
    'qmp_timeout=${KVM_TUI_QMP_TIMEOUT:-10}',
    '[[ $qmp_timeout =~ ^[1-9][0-9]*$ ]] || { echo "pin: KVM_TUI_QMP_TIMEOUT must be a whole number of seconds" >&2; exit 2; }',
    `expected_name_hex=${quoteShellWord(nameHex)}`,
    '# Planned host CPUs: one entry per vCPU (index = vCPU; empty = not pinned).',
    `vcpu_cpus=(${words(vcpuCpus)})`,
    '# iothreads by id, and the host CPUs of each (empty = not pinned).',
    `iothread_ids=(${words(plan.iothreads.map((iothread) => iothread.id))})`,
    `iothread_cpus=(${words(plan.iothreads.map((iothread) => formatCpuList(iothread.hostCpus)))})`,
    '# Host CPUs for every other thread of QEMU (empty = not pinned).',
    `emulator_cpus=${quoteShellWord(formatCpuList(plan.emulator))}`,
    '# 1: the VM has a vhost-net NIC, whose workers may be kernel threads outside QEMU (Linux < 6.4).',
    `vhost_nic=${spec.network.mode === 'tap' && spec.network.vhost ? 1 : 0}`,
    '# Real-time policy of the vCPU threads (chrt; empty = the normal scheduler) and its priority.',
    `vcpu_policy=${spec.vcpuScheduler ? spec.vcpuScheduler.policy : "''"}`,
    `vcpu_priority=${spec.vcpuScheduler ? String(spec.vcpuScheduler.priority) : "''"}`,
    '',
    // A function replacer: the perl code is full of $1, which a string replacement would expand.
    PIN_BODY.replaceAll('@QMP_PERL@', () => QMP_PERL.trimEnd()),
  ];
  return lines.join('\n');
}

const PIN_BODY = String.raw`die() { echo "pin: $2" >&2; exit "$1"; }

# "0-2,5" -> "0 1 2 5", so lists compare the same however they are spelled.
expand_cpus() {
  local part first last cpu
  local -a out=()
  local IFS=,
  for part in $1; do
    if [[ $part == *-* ]]; then
      first=${"$"}{part%-*} last=${"$"}{part#*-}
      for ((cpu = first; cpu <= last; cpu++)); do out+=("$cpu"); done
    else
      out+=("$part")
    fi
  done
  IFS=' '
  echo "${"$"}{out[*]}"
}

allowed_cpus() { # TID [PROCESS] -> its Cpus_allowed_list (PROCESS: QEMU's unless given)
  local key value
  while read -r key value; do
    if [[ $key == Cpus_allowed_list: ]]; then echo "$value"; return 0; fi
  done <"/proc/${"$"}{2:-$pid}/task/$1/status"
  return 1
}

qmp_out=$(perl - "$qmp_socket" "$qmp_timeout" <<'PERL'
@QMP_PERL@
PERL
) || die 2 "could not query QEMU over QMP (is the VM running? socket: $qmp_socket)"

declare -A vcpu_tid=() iothread_tid=() planned_of_tid=() role_of_tid=() kernel_tid=()
name_hex=
while read -r kind key tid; do
  case $kind in
    name) name_hex=$key ;;
    vcpu) vcpu_tid[$key]=$tid ;;
    iothread) iothread_tid[$key]=$tid ;;
  esac
done <<<"$qmp_out"

[[ $name_hex == "$expected_name_hex" ]] ||
  die 2 "the VM on $qmp_socket is not the one this script was made for (its name differs)"
(( ${"$"}{#vcpu_tid[@]} == ${"$"}{#vcpu_cpus[@]} )) ||
  die 2 "QEMU has ${"$"}{#vcpu_tid[@]} vCPUs, the plan has ${"$"}{#vcpu_cpus[@]}"
for ((i = 0; i < ${"$"}{#vcpu_cpus[@]}; i++)); do
  [[ -n ${"$"}{vcpu_tid[$i]-} ]] || die 2 "QEMU reports no vCPU $i"
done
for ((i = 0; i < ${"$"}{#iothread_ids[@]}; i++)); do
  [[ -n ${"$"}{iothread_tid[${"$"}{iothread_ids[$i]}]-} ]] || die 2 "QEMU has no iothread ${"$"}{iothread_ids[$i]}"
done

pid=
while read -r key value; do
  if [[ $key == Tgid: ]]; then pid=$value; fi
done <"/proc/${"$"}{vcpu_tid[0]}/status"
[[ -n $pid ]] || die 2 "cannot find the QEMU process of vCPU thread ${"$"}{vcpu_tid[0]}"

pin() { # ROLE TID CPUS
  role_of_tid[$2]=$1
  planned_of_tid[$2]=$3
  taskset -pc "$3" "$2" >/dev/null || die 1 "taskset -pc $3 $2 ($1) failed"
}

for ((i = 0; i < ${"$"}{#vcpu_cpus[@]}; i++)); do
  role_of_tid[${"$"}{vcpu_tid[$i]}]="vcpu $i"
  if [[ -n ${"$"}{vcpu_cpus[$i]} ]]; then pin "vcpu $i" "${"$"}{vcpu_tid[$i]}" "${"$"}{vcpu_cpus[$i]}"; fi
done
for ((i = 0; i < ${"$"}{#iothread_ids[@]}; i++)); do
  id=${"$"}{iothread_ids[$i]}
  role_of_tid[${"$"}{iothread_tid[$id]}]="iothread $id"
  if [[ -n ${"$"}{iothread_cpus[$i]} ]]; then pin "iothread $id" "${"$"}{iothread_tid[$id]}" "${"$"}{iothread_cpus[$i]}"; fi
done
if [[ -n $emulator_cpus ]]; then
  for task in /proc/"$pid"/task/*; do
    tid=${"$"}{task##*/}
    if [[ -n ${"$"}{role_of_tid[$tid]-} ]]; then continue; fi
    { comm=$(<"$task/comm"); } 2>/dev/null || comm=
    if [[ $comm == "vhost-$pid" ]]; then role_of_tid[$tid]=vhost; else role_of_tid[$tid]=emulator; fi
    planned_of_tid[$tid]=$emulator_cpus
    # Short-lived worker threads may exit between the listing and taskset: only a live one is an error.
    taskset -pc "$emulator_cpus" "$tid" >/dev/null 2>&1 || [[ ! -e $task ]] ||
      die 1 "taskset -pc $emulator_cpus $tid (${"$"}{role_of_tid[$tid]}) failed"
  done
  # vhost-net workers as kernel threads (Linux < 6.4): children of kthreadd (PPid 2) named
  # vhost-PID, outside QEMU's task list; looked for only when QEMU has no vhost thread of its own.
  own_vhost=0
  for tid in "${"$"}{!role_of_tid[@]}"; do if [[ ${"$"}{role_of_tid[$tid]} == vhost ]]; then own_vhost=1; fi; done
  if (( vhost_nic && !own_vhost )); then
    for proc in /proc/[0-9]*; do
      tid=${"$"}{proc##*/}
      [[ $tid != "$pid" ]] || continue
      { comm=$(<"$proc/comm"); } 2>/dev/null || continue
      [[ $comm == "vhost-$pid" ]] || continue
      ppid=
      while read -r key value; do if [[ $key == PPid: ]]; then ppid=$value; fi; done 2>/dev/null <"$proc/status" || continue
      [[ $ppid == 2 ]] || continue
      role_of_tid[$tid]="vhost (kernel thread)"
      # A kernel thread is root's: without the right to move it the VM is still pinned right.
      if ! taskset -pc "$emulator_cpus" "$tid" >/dev/null 2>&1; then
        echo "pin: vhost kernel thread $tid left where it is (it belongs to root: run this script as root to pin it)" >&2
        continue
      fi
      planned_of_tid[$tid]=$emulator_cpus
      kernel_tid[$tid]=1
    done
  fi
fi

# Real-time vCPUs: SCHED_FIFO (1) or SCHED_RR (2) at the planned priority, checked in
# /proc/PID/task/TID/stat (fields 40 rt_priority and 41 policy).
status=0
if [[ -n $vcpu_policy ]]; then
  case $vcpu_policy in fifo) policy_number=1 ;; rr) policy_number=2 ;; esac
  for ((i = 0; i < ${"$"}{#vcpu_cpus[@]}; i++)); do
    tid=${"$"}{vcpu_tid[$i]}
    chrt "--$vcpu_policy" --pid "$vcpu_priority" "$tid" || die 1 "chrt --$vcpu_policy --pid $vcpu_priority $tid (vcpu $i) failed"
    stat_line=$(<"/proc/$pid/task/$tid/stat")
    read -r -a stat_fields <<<"${"$"}{stat_line##*) }"
    if [[ ${"$"}{stat_fields[38]} == "$policy_number" && ${"$"}{stat_fields[37]} == "$vcpu_priority" ]]; then
      echo "pin: vcpu $i (thread $tid) runs $vcpu_policy at priority $vcpu_priority"
    else
      echo "pin: vcpu $i (thread $tid) has policy ${"$"}{stat_fields[38]} priority ${"$"}{stat_fields[37]}, planned $vcpu_policy $vcpu_priority" >&2
      status=1
    fi
  done
fi
for tid in "${"$"}{!planned_of_tid[@]}"; do
  holder=$pid
  [[ -z ${"$"}{kernel_tid[$tid]-} ]] || holder=$tid
  [[ -e /proc/$holder/task/$tid ]] || continue
  actual=$(allowed_cpus "$tid" "$holder") || continue
  if [[ $(expand_cpus "$actual") == "$(expand_cpus "${"$"}{planned_of_tid[$tid]}")" ]]; then
    echo "pin: ${"$"}{role_of_tid[$tid]} (thread $tid) on $actual"
  else
    echo "pin: ${"$"}{role_of_tid[$tid]} (thread $tid) may run on $actual, planned ${"$"}{planned_of_tid[$tid]}" >&2
    status=1
  fi
done
if (( status != 0 )); then
  echo "pin: the guest stays paused: its pins differ from the plan" >&2
elif (( paused )); then
  echo "pin: left paused (--paused); resume it with the QMP command cont"
else
  perl - "$qmp_socket" "$qmp_timeout" cont <<'PERL' || die 2 "pinned and verified, but QMP cont failed (socket: $qmp_socket)"
@QMP_PERL@
PERL
  echo "pin: resumed the guest (QMP cont)"
fi
exit "$status"
`;
