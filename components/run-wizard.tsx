/**
 * Interactive entry: gathers host data through the command context, then renders the wizard
 * (audit -> topology -> plan -> preview). Loaded lazily by src/cli.tsx so non-interactive
 * commands never load Ink or React.
 */
import React, { useMemo, useRef, useState } from 'react';
import { render } from 'ink';
import type { CommandContext } from '../src/context.js';
import { UsageError } from '../src/errors.js';
import { readCpuInfo, type CpuInfo } from '../src/host/cpuinfo.js';
import { readTopology, type Topology } from '../src/host/topology.js';
import { summarizeTopology } from '../src/host/topology-text.js';
import { generateAll } from '../src/generate/index.js';
import { formatShellPreview } from '../src/generate/shell-quote.js';
import { planVm } from '../src/plan/plan-vm.js';
import { vmRunDir } from '../src/run/run-dir.js';
import { listPresets } from '../src/spec/presets.js';
import type { Preset } from '../src/spec/types.js';
import { App, type WizardScreen } from './App.js';
import { AuditChecklist } from './Checklist.js';
import { CoreMap } from './CoreMap.js';
import { PlanScreen } from './PlanScreen.js';
import { PreviewScreen, type PreviewScreenProps } from './PreviewScreen.js';

export async function runWizard(ctx: CommandContext): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new UsageError('the wizard needs an interactive terminal; for scripts use a subcommand (kvm-tui --help)');
  }
  const topology = readTopology(ctx.hostFs);
  const cpuInfo = readCpuInfo(ctx.hostFs);
  const presets = listPresets({ env: ctx.env });
  const instance = render(<Wizard ctx={ctx} topology={topology} cpuInfo={cpuInfo} presets={presets} />, { exitOnCtrlC: true });
  await instance.waitUntilExit();
  return 0;
}

export interface WizardProps {
  ctx: Pick<CommandContext, 'hostFs' | 'capturedRoot' | 'env' | 'identity' | 'run'>;
  topology: Topology;
  cpuInfo: CpuInfo;
  presets: Preset[];
  initialScreen?: string;
  size?: { columns: number; rows: number };
}

export function Wizard({ ctx, topology, cpuInfo, presets, initialScreen, size }: WizardProps) {
  // Start on the default preset when it fits this host, else on the first one that does (a
  // 2-CPU host cannot pin balanced's 4 vCPUs), so the first plan shown is a usable one.
  const [selected, setSelected] = useState(() => {
    const fits = (preset: Preset) => planVm({ topology, cpuInfo, spec: preset.spec }).errors.length === 0;
    const ordered = [...presets.filter((preset) => preset.name === 'balanced'), ...presets];
    return (ordered.find(fits) ?? ordered[0]!).name;
  });
  const [screen, setScreen] = useState(initialScreen ?? 'audit');
  const [picking, setPickingState] = useState(false);
  // A closing picker's input handler can outlive its last frame for a moment; a ref (not the
  // state captured by that handler) decides whether a selection still counts.
  const pickingRef = useRef(false);
  const setPicking = (open: boolean) => {
    pickingRef.current = open;
    setPickingState(open);
  };
  const choosePreset = (name: string) => {
    if (!pickingRef.current) return;
    setSelected(name);
    setPicking(false);
  };
  const plan = useMemo(() => {
    const preset = presets.find((entry) => entry.name === selected)!;
    return planVm({ topology, cpuInfo, spec: preset.spec });
  }, [selected, presets, topology, cpuInfo]);
  const artefacts = useMemo<PreviewScreenProps['artefacts']>(() => {
    if (plan.errors.length) return { error: plan.errors.map((entry) => entry.message).join('; ') };
    try {
      const generated = generateAll(plan, { runDir: vmRunDir(plan.spec.name, { env: ctx.env, uid: ctx.identity.uid }) });
      return { qemu: formatShellPreview(generated.argv), xml: generated.xml, script: generated.script };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }, [plan, ctx.env]);
  const screens: WizardScreen[] = [
    {
      id: 'audit',
      title: 'Audit',
      render: ({ width, height }) => (
        <AuditChecklist hostFs={ctx.hostFs} capturedRoot={ctx.capturedRoot} env={ctx.env} width={width} height={height} onContinue={() => setScreen('topology')} />
      ),
    },
    { id: 'topology', title: 'Topology', render: ({ width, height }) => <CoreMap topology={topology} width={width} height={height} /> },
    {
      id: 'plan',
      title: 'Plan',
      render: ({ width, height }) => (
        <PlanScreen topology={topology} presets={presets} selected={selected} plan={plan} onSelect={choosePreset} picking={picking} onPickingChange={setPicking} width={width} height={height} />
      ),
    },
    { id: 'preview', title: 'Preview', render: ({ width, height }) => <PreviewScreen artefacts={artefacts} width={width} height={height} /> },
  ];
  return <App hostSummary={summarizeTopology(topology)} screens={screens} screen={screen} onScreenChange={setScreen} size={size} navigationLocked={picking} />;
}
