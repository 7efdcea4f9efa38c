/**
 * The interactive app: one reducer holds its state (src/state/app-state.ts); hooks run the audit
 * and the effects its keys ask for through the services they are given; the screens render from
 * the state. Audit -> topology -> plan -> preview.
 */
import React, { useCallback, useMemo, useReducer, useRef, useState } from 'react';
import type { WizardServices, HostFacts } from '../src/app/wizard-services.js';
import { ALL_CHECKS } from '../src/audit/checks/index.js';
import type { Check } from '../src/audit/types.js';
import { DEFAULT_FIX_SCRIPT } from '../src/audit/fix-script.js';
import { explainArgvLines, explainXmlLines } from '../src/generate/explain.js';
import { formatShellPreview } from '../src/shared/shell-quote.js';
import { summarizeTopologyForms } from '../src/host/topology-text.js';
import { planVm } from '../src/plan/plan-vm.js';
import { applyPresetOverrides, specInputWithOverrides, type SpecOverrides } from '../src/spec/resolve.js';
import { TextPrompt } from './widgets/TextPrompt.js';
import { ExistsPrompt } from './widgets/ExistsPrompt.js';
import { sizingOverrides } from '../src/state/vm-sizing.js';
import { appReducer, initialAppState } from '../src/state/app-state.js';
import type { Preset } from '../src/spec/types.js';
import { App, type WizardScreen } from './App.js';
import { auditRows, useAudit } from './hooks/use-audit.js';
import { useAuditEffects } from './hooks/use-audit-effects.js';
import { ChecklistView } from './screens/Checklist.js';
import { PlanScreen } from './screens/PlanScreen.js';
import { PreviewScreen, previewTexts, type PreviewFormat, type PreviewScreenProps, type PreviewView } from './screens/PreviewScreen.js';
import { LaunchScreen } from './screens/LaunchScreen.js';
import { MonitorScreen } from './screens/MonitorScreen.js';
import { Text } from 'ink';
import { CoreMap } from './widgets/CoreMap.js';
import { ChoiceList } from './widgets/ChoiceList.js';
import { useOutputTarget } from './hooks/use-output-target.js';
import { useGenerator } from './hooks/use-generator.js';
import { useHostOffer } from './hooks/use-host-offer.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { buildVmLines } from './present/vm-lines.js';
import { heldMarks, topologyHeadLines } from './present/map-legend.js';
import type { VmField } from './screens/PlanScreen.js';
import { networkChoices, networkNote, netValue } from '../src/state/vm-offer.js';
import { clearVcpu as clearMapVcpu, cursorOrder, mapOfPlan, toggleCpu } from '../src/state/core-map-edit.js';

/** A file name for a VM's spec: its name with anything a shell or a path would mind replaced. */
export function specFileName(vmName: string): string {
  return `${vmName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'vm'}.json`;
}

/** The file name `w` on Preview offers for the shown text. */
export function previewFileName(vmName: string, format: PreviewFormat): string {
  const base = specFileName(vmName).replace(/\.json$/, '');
  return format === 'qemu' ? `${base}-qemu.sh` : format === 'xml' ? `${base}.xml` : `${base}-pin.sh`;
}

const SAVE_LABEL: Record<'spec' | PreviewFormat, string> = {
  spec: 'Save the spec to',
  qemu: 'Write the QEMU command to',
  xml: 'Write the libvirt XML to',
  script: 'Write the pin script to',
};

const WRITTEN: Record<'spec' | PreviewFormat, string> = {
  spec: 'spec saved (kvm-tui --spec FILE reopens it)',
  qemu: 'QEMU command written (bash FILE starts the VM paused, as Preview shows it)',
  xml: 'libvirt XML written (virsh define FILE)',
  script: 'pin script written (bash FILE pins a running VM and resumes it)',
};

/** The keys of each screen, for the ? overlay (the ones that work everywhere, then the screen's). */
export const WIZARD_HELP: Record<string, readonly string[]> = {
  any: [
    'Anywhere',
    '  Enter or c            go on to the next step (c only where Enter has a job: Audit, Launch)',
    '  Esc                   back one step (edits are kept); inside a list, prompt or editor: closes it',
    '  1-6, Tab, Shift-Tab   jump to a step (Audit, Topology, Plan, Preview, Launch, Monitor)',
    '  ?                     this help (any key closes it)',
    '  S                     save the spec (preset, sizing, map) to a file: kvm-tui --spec FILE reopens it',
    '  R                     read the host again (huge pages, free memory, devices, CPUs other VMs hold)',
    '  q                     quit (VMs you launched keep running)',
    '  Ctrl-C                quit with exit status 130',
  ],
  audit: [
    'Audit',
    '  Up/Down, j/k, g/G     move        Enter/Space  details of the row',
    '  /                     filter the rows (Enter keeps it, Esc drops it)',
    '  p                     only problems / all rows',
    '  w                     write every fix into a script to review and run',
    '  a                     apply the selected runtime fix (asks y/n first)',
  ],
  topology: [
    'Topology',
    '  Up/Down, j/k, Space, PgUp/PgDn   scroll the core map',
    '  above the map         the host in full (the title may be shorter), every VM that holds CPUs (X) with all of them',
  ],
  plan: [
    'Plan (the VM)',
    '  p                     pick a preset (Up/Down, Enter; / filters the list)',
    '  + / -  ] / [          vCPUs up/down, memory up/down',
    '  h  a  r               huge pages none/2M/1G, accel kvm/tcg, reset to the preset',
    '  o                     guest OS linux/windows/other (firmware, TPM, Hyper-V, clock follow)',
    '  N  d  n               name, disk image (shows its free space), network (the host\'s bridges)',
    '  e                     edit the core map (Esc closes it):',
    '    arrows, h j k l       move the cursor on the grid     , .  choose the vCPU',
    '    Enter, Space          put the vCPU under the cursor (a vCPU already there swaps)',
    '    u, Backspace          clear the vCPU: back where the strategy puts it',
    '    E / I                 emulator / iothreads onto the cursor\'s CPU, or off it',
    '    a / s                 auto-assign: the compact / spread strategy\'s map',
    '    x                     everything back to automatic (vCPUs, emulator, iothreads)',
    '  map marks             vN vCPU  E emulator  IN iothread  N* isolated  Nh housekeeping  X held',
  ],
  preview: [
    'Preview',
    '  e / x / s             the QEMU command / libvirt XML / pin script',
    '  Up/Down, j/k          move the cursor: the line under the text says why that option or element is there',
    '  Space, PgDn/PgUp      a page',
    '  Left/Right, h/l, 0    scroll sideways (long options at 80 columns); 0 back to the start',
    '  y                     copy the shown text to the clipboard (OSC 52: the terminal may ignore it; in tmux: set -g set-clipboard on)',
    '  w                     write the shown text to a file (asks before overwriting)',
  ],
  launch: ['Launch', '  Enter, L              launch the planned VM (paused, pinned, verified, resumed)'],
  monitor: ['Monitor', '  p pause/resume  s ACPI shutdown  F force quit  r re-pin  d detach (the VM keeps running)'],
};


export interface WizardProps {
  services: WizardServices;
  host: HostFacts;
  initialScreen?: string;
  size?: { columns: number; rows: number };
  /** The audit's checks (default: all of them). */
  checks?: readonly Check[];
  /** Called with the exit status before the app ends (0 quit, 130 Ctrl-C). */
  onExit?: (code: number) => void;
  /** Called with the name of each VM launched from the wizard (they outlive it). */
  onLaunched?: (name: string) => void;
  /** Colour on (default) or off: the monitor's marks. */
  color?: boolean;
  /** The preset to open on (the spec file given with --spec); default: the best that fits. */
  initialPresetName?: string;
}

/**
 * The default preset when it fits this host, else the first that does (a 2-CPU host cannot pin
 * balanced's 4 vCPUs), so the first plan shown is a usable one.
 */
export function initialPreset(presets: readonly Preset[], host: HostFacts): string {
  const fits = (preset: Preset) => planVm({ topology: host.topology, cpuInfo: host.cpuInfo, spec: preset.spec, taken: host.taken }).errors.length === 0;
  const ordered = [...presets.filter((preset) => preset.name === 'balanced'), ...presets];
  return (ordered.find(fits) ?? ordered[0]!).name;
}

export function Wizard({ services, host: initialHost, initialScreen, size, checks = ALL_CHECKS, onExit, onLaunched, color = true, initialPresetName }: WizardProps) {
  const { presets } = services;
  const terminal = useTerminalSize();
  // Host facts are read again after a fix is applied (huge pages reserved show on the map and in
  // the plan at once); a host that cannot be read any more keeps the last good facts.
  const [host, setHost] = useState(initialHost);
  const refreshOffer = useRef<() => void>(() => undefined);
  const refreshHost = useCallback(() => {
    refreshOffer.current();
    try {
      setHost(services.readHost());
    } catch {
      // keep what we had
    }
  }, [services]);
  // CPUs other VMs hold: the plan avoids them and the core map shows who holds them.
  const { topology, cpuInfo, taken, devices } = host;
  // accel and vhost "auto" in a preset are decided by this host's devices, as for kvm-tui plan.
  const specHost = useMemo(() => ({ kvmUsable: devices.kvm !== 'missing', vhostUsable: devices.vhostNet !== 'missing' }), [devices]);
  const [state, dispatch] = useReducer(appReducer, undefined, () =>
    initialAppState({ screen: initialScreen ?? 'audit', presetName: initialPresetName ?? initialPreset(presets, host) }),
  );
  // The audit's first run takes the host facts the wizard opened with (one read of /sys at start,
  // 0.1 s on a 512-thread capture); a rerun after a fix reads the host afresh.
  const openingFacts = useRef<HostFacts | null>(initialHost);
  const makeProbeContext = useCallback(() => {
    const known = openingFacts.current;
    openingFacts.current = null;
    return services.makeProbeContext(known ?? undefined);
  }, [services]);
  const { rerun } = useAudit({ checks, makeContext: makeProbeContext, dispatch });
  const rows = useMemo(() => auditRows(checks, state.audit.results), [checks, state.audit.results]);
  const showTopology = useCallback(() => dispatch({ type: 'nav/show', screen: 'topology' }), []);
  useAuditEffects(state.audit.view.request, rows, dispatch, {
    applyFix: services.applyFix,
    writeScript: services.writeScript,
    nextFreeName: services.nextFreeName,
    now: services.now,
    rerun,
    onContinue: showTopology,
    onHostChanged: refreshHost,
  });

  // The preset with the sizing typed on the Plan step. A change is checked before it is kept:
  // one the spec's rules refuse is shown with the rule, and the last good sizing stays.
  const preset = presets.find((entry) => entry.name === state.presetName)!;
  const spec = useMemo(() => applyPresetOverrides(preset, state.overrides, specHost), [preset, state.overrides, specHost]);
  const [sizingError, setSizingError] = useState<string | null>(null);
  /** Keeps a change (sizing keys, core-map edits) only if the spec's rules accept it. */
  const tryOverrides = useCallback(
    (overrides: SpecOverrides) => {
      try {
        applyPresetOverrides(preset, { ...state.overrides, ...overrides }, specHost);
        setSizingError(null);
        dispatch({ type: 'plan/override', overrides });
      } catch (error) {
        setSizingError((error as Error).message);
      }
    },
    [preset, state.overrides, specHost],
  );
  const onSizingKey = useCallback(
    (input: string) => {
      if (input === 'r') {
        setSizingError(null);
        return dispatch({ type: 'plan/reset-overrides' });
      }
      const overrides = sizingOverrides(input, spec);
      if (overrides) tryOverrides(overrides);
    },
    [spec, tryOverrides],
  );
  const plan = useMemo(() => planVm({ topology, cpuInfo, spec, taken, devices }), [spec, topology, cpuInfo, taken, devices]);
  // u on the core map: the vCPU goes back to where the spec's strategy would put it (planned
  // without the hand-made map), the rest of the map kept.
  const clearVcpu = useCallback(
    (vcpu: number) => {
      let automatic: Array<number | null> = [];
      try {
        const unmapped = planVm({ topology, cpuInfo, spec: applyPresetOverrides(preset, { ...state.overrides, map: null }, specHost), taken, devices });
        automatic = Array.from({ length: unmapped.spec.vcpus.count }, (_, index) => unmapped.vcpus[index]?.hostCpu ?? null);
      } catch {
        // no automatic placement: clearVcpu refuses and says so
      }
      const outcome = clearMapVcpu(mapOfPlan(plan, cursorOrder(topology)), vcpu, automatic);
      if ('refused' in outcome) return setSizingError(outcome.refused);
      tryOverrides({ map: outcome.map });
    },
    [topology, cpuInfo, preset, state.overrides, specHost, taken, devices, plan, tryOverrides],
  );
  // What the host offers the VM step, asked once that step is first shown.
  const offer = useHostOffer(services.hostOffer, { enabled: state.screen === 'plan', diskFile: spec.disks[0]?.path ?? null });
  refreshOffer.current = offer.refresh;
  const [field, setField] = useState<VmField | null>(null);
  const closeField = useCallback(() => setField(null), []);
  // The Preview shows what launch will run: the same run and state dirs, this host's QEMU version.
  const target = useOutputTarget(services.outputTarget);
  // The generators are loaded after the first frame (the audit does not wait for them).
  const generator = useGenerator();
  // The Preview's texts, and why each of their lines is there (the line under its cursor).
  const { artefacts, reasons } = useMemo<{ artefacts: PreviewScreenProps['artefacts']; reasons: PreviewScreenProps['reasons'] }>(() => {
    if (plan.errors.length) return { artefacts: { error: plan.errors.map((entry) => entry.message).join('; ') }, reasons: {} };
    if (generator === null) return { artefacts: { pending: true }, reasons: {} };
    if ('error' in generator) return { artefacts: { error: generator.error, hint: 'This install of kvm-tui is incomplete: install it again.' }, reasons: {} };
    try {
      const generated = generator.generateAll(plan, { runDir: services.runDirFor(plan.spec.name), stateDir: services.stateDirFor(plan.spec.name), target });
      return {
        artefacts: { qemu: formatShellPreview(generated.argv), xml: generated.xml, script: generated.script },
        reasons: { qemu: explainArgvLines(generated.argv, plan), xml: explainXmlLines(generated.xml, plan) },
      };
    } catch (error) {
      return { artefacts: { error: (error as Error).message }, reasons: {} };
    }
  }, [plan, services, target, generator]);

  // One launch at a time, decided here rather than by a screen that may hold an old state.
  const launching = useRef(false);
  const startLaunch = useCallback(() => {
    if (!services.launch || launching.current) return;
    launching.current = true;
    dispatch({ type: 'launch/begin' });
    services.launch(plan.spec, (text) => dispatch({ type: 'launch/step', text })).then(
      (record) => {
        launching.current = false;
        onLaunched?.(record.name);
        dispatch({ type: 'launch/done', record });
      },
      (error: Error) => {
        launching.current = false;
        dispatch({ type: 'launch/failed', error: error.message });
      },
    );
  }, [services, plan, onLaunched]);
  const record = state.launch.record;
  const monitorServices = useMemo(() => (record ? services.monitorServices(record) : null), [record, services]);

  // S at any step: save the spec (the preset with its sizing and map) to a file that
  // `kvm-tui --spec FILE` opens again; never over an existing file without asking.
  // w on Preview: the shown text (the QEMU command, the XML, the pin script) the same way.
  const [saving, setSaving] = useState<{ what: 'spec' | PreviewFormat; phase: 'path' | 'exists'; file: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const save = useCallback(
    (what: 'spec' | PreviewFormat, file: string, overwrite: boolean) => {
      try {
        const text = what === 'spec' ? JSON.stringify(specInputWithOverrides(preset, state.overrides), null, 2) + '\n' : (previewTexts(artefacts)?.[what] ?? null);
        if (text === null) return setSaving(null);
        const outcome = services.saveSpec(file, text, { overwrite });
        if ('exists' in outcome) return setSaving({ what, phase: 'exists', file });
        setSaving(null);
        setNotice(`${outcome.written}: ${WRITTEN[what]}`);
      } catch (error) {
        setSaving(null);
        setNotice(`not saved: ${(error as Error).message}`);
      }
    },
    [preset, state.overrides, services, artefacts],
  );
  // The Preview tab's format and scroll live here: coming back to the step finds them as left.
  const [previewView, setPreviewView] = useState<PreviewView>({ format: 'qemu', top: 0 });
  // The overlays are drawn at the terminal's width (the screens get theirs from App).
  const columns = size?.columns ?? terminal.columns;
  const terminalRows = size?.rows ?? terminal.rows;
  const fieldOverlay =
    field === 'name' ? (
      <TextPrompt
        label="VM name (Enter keeps it, Esc cancels): "
        initial={spec.name}
        onSubmit={(name) => {
          setField(null);
          if (name.trim() && name.trim() !== spec.name) tryOverrides({ name: name.trim() });
        }}
        onCancel={closeField}
        width={columns - 1}
      />
    ) : field === 'disk' ? (
      <TextPrompt
        label="Disk image (Enter keeps it, empty removes it, Esc cancels): "
        initial={spec.disks[0]?.path ?? `./${specFileName(spec.name).replace(/\.json$/, '.qcow2')}`}
        onSubmit={(file) => {
          setField(null);
          const rest = spec.disks.slice(1).map((disk) => disk.path);
          tryOverrides({ disks: file.trim() ? [file.trim(), ...rest] : rest });
        }}
        onCancel={closeField}
        width={columns - 1}
      />
    ) : field === 'net' ? (
      <ChoiceList
        title="Network (↑↓ Enter chooses, Esc cancels)"
        choices={networkChoices(offer.interfaces?.interfaces ?? [], spec.name).map((choice) => ({ value: choice.value, label: choice.label, note: choice.setup }))}
        current={netValue(spec.network)}
        notes={
          offer.interfaces === null
            ? ["reading the host's interfaces…"]
            : [offer.interfaces.note, networkNote(offer.interfaces.interfaces)].filter((note): note is string => note !== null)
        }
        onChoose={(net) => {
          setField(null);
          tryOverrides({ net });
        }}
        onCancel={closeField}
        width={columns}
        height={terminalRows - 4}
      />
    ) : null;
  const saveOverlay = saving ? (
    saving.phase === 'path' ? (
      <TextPrompt label={`${SAVE_LABEL[saving.what]} (Enter saves, Esc cancels): `} initial={saving.file} onSubmit={(file) => (file.trim() ? save(saving.what, file.trim(), false) : setSaving(null))} onCancel={() => setSaving(null)} width={columns - 1} />
    ) : (
      <ExistsPrompt file={saving.file} onOverwrite={() => save(saving.what, saving.file, true)} onRename={() => setSaving({ what: saving.what, phase: 'path', file: saving.file })} onCancel={() => setSaving(null)} />
    )
  ) : null;

  // Something open inside the current screen: Esc, Enter and c are its keys, not steps.
  const [monitorModal, setMonitorModal] = useState(false);
  const auditMode = state.audit.view.mode.kind;
  const modal =
    state.screen === 'audit' ? auditMode !== 'list' || state.audit.view.filter !== '' : state.screen === 'plan' ? state.mapEditing : state.screen === 'monitor' ? monitorModal : false;
  // Text being typed into a filter: q and ? are letters then.
  const typing = (state.screen === 'audit' && auditMode === 'filter') || (state.picking && state.presetFilter.typing);
  const footer = typing
    ? 'typing a filter: Enter keeps it · Esc drops it'
    : state.picking
    ? 'Esc closes the list · ? help · q quit'
    : state.screen === 'plan' && state.mapEditing
    ? 'Esc closes the editor · 1-6 jump · ? help · q quit'
    : null;

  const screens: WizardScreen[] = [
    {
      id: 'audit',
      title: 'Audit',
      // Enter opens a row's details here; c goes on.
      enterGoesOn: false,
      render: ({ width, height }) => (
        <ChecklistView
          rows={rows}
          view={state.audit.view}
          dispatch={dispatch}
          width={width}
          height={height}
          scriptPath={`./${DEFAULT_FIX_SCRIPT}`}
          canApply={services.applyFix !== null}
          applyDisabledReason={services.applyDisabledReason}
          canContinue={false}
          canExit={false}
        />
      ),
    },
    {
      id: 'topology',
      title: 'Topology',
      // The host's whole summary and every VM that holds CPUs head the map: the title line and
      // the Plan step's legend may show them shorter.
      render: ({ width, height }) => <CoreMap topology={topology} width={width} height={height} marks={heldMarks(taken)} header={topologyHeadLines(topology, taken, width)} />,
    },
    {
      id: 'plan',
      title: 'Plan',
      render: ({ width, height }) => (
        <PlanScreen
          topology={topology}
          taken={taken}
          presets={presets}
          selected={state.presetName}
          plan={plan}
          onSelect={(presetName) => {
            setSizingError(null);
            dispatch({ type: 'plan/choose', presetName });
          }}
          picking={state.picking}
          onPickingChange={(open) => dispatch({ type: open ? 'plan/open-picker' : 'plan/close-picker' })}
          presetFilter={state.presetFilter}
          onPresetFilter={(text, typing) => dispatch({ type: 'plan/preset-filter', text, typing })}
          editing={state.mapEditing}
          onEditingChange={(open) => dispatch({ type: 'plan/edit-map', open })}
          vmLines={buildVmLines({ plan, topology, interfaces: offer.interfaces, disk: offer.disk, memory: offer.memory, width })}
          onField={setField}
          onSizingKey={onSizingKey}
          sizingError={sizingError}
          onMap={(map) =>
            // x (null) takes back every hand placement: the vCPUs', the emulator's, the iothreads'.
            tryOverrides(map === null ? { map, emulatorCpus: undefined, iothreadCpus: undefined } : { map })
          }
          onClearVcpu={clearVcpu}
          onHelperCpu={(helper, cpu) => {
            if (helper === 'iothread' && spec.iothreads.count === 0) return setSizingError('the VM has no iothreads: a disk (d) gets one');
            tryOverrides(helper === 'emulator' ? { emulatorCpus: toggleCpu(spec.emulator.cpus, cpu) } : { iothreadCpus: toggleCpu(spec.iothreads.cpus, cpu) });
          }}
          onAutoMap={(strategy) => tryOverrides({ strategy, map: null })}
          width={width}
          height={height}
        />
      ),
    },
    { id: 'preview', title: 'Preview', render: ({ width, height }) => <PreviewScreen artefacts={artefacts} reasons={reasons} width={width} height={height} view={previewView} onView={setPreviewView} onWrite={(format) => setSaving({ what: format, phase: 'path', file: `./${previewFileName(spec.name, format)}` })} /> },
    {
      id: 'launch',
      title: 'Launch',
      // Enter launches here; c goes on.
      enterGoesOn: false,
      render: ({ width, height }) => (
        <LaunchScreen plan={plan} launch={state.launch} disabledReason={services.launchDisabledReason} onLaunch={startLaunch} width={width} height={height} />
      ),
    },
    {
      id: 'monitor',
      title: 'Monitor',
      render: ({ width, height }) =>
        state.launch.record && monitorServices ? (
          <MonitorScreen record={state.launch.record} services={monitorServices} color={color} size={{ columns: width, rows: height }} onExit={onExit} onModalChange={setMonitorModal} />
        ) : (
          <Text color="gray">No VM launched from here yet: 5 Launch starts the planned one (kvm-tui monitor NAME watches others).</Text>
        ),
    },
  ];
  return (
    <App
      hostSummary={summarizeTopologyForms(topology)}
      screens={screens}
      screen={state.screen}
      onNavigationKey={(key, screenIds) => {
        // A note is about the action just taken: the next key clears it.
        if (notice) setNotice(null);
        if (key.input === 'S' && !state.picking && !typing) return setSaving({ what: 'spec', phase: 'path', file: `./${specFileName(spec.name)}` });
        if (key.input === 'R' && !state.picking && !typing && !modal) {
          // The host as it is now: huge pages, free memory, devices, CPUs other VMs took or freed.
          refreshHost();
          return setNotice('host facts read again (topology, huge pages, free memory, devices, CPUs held by other VMs)');
        }
        const enterGoesOn = screens.find((entry) => entry.id === state.screen)?.enterGoesOn ?? true;
        dispatch({ type: 'nav/key', key, screenIds, lockedWhenTyped: state.picking || typing, modalWhenTyped: modal, enterGoesOn });
      }}
      overlay={saving ? saveOverlay : (fieldOverlay ?? undefined)}
      keysOwned={typing}
      footer={footer}
      notice={notice}
      banner={state.banner}
      size={size}
      onExit={onExit}
      help={[...WIZARD_HELP.any!, ...(WIZARD_HELP[state.screen] ?? [])]}
    />
  );
}
