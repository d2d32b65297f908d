// The `kiln` command line: kiln info | kiln train linreg|softmax|mnist|charlm | kiln eval mnist | kiln profile mnist | kiln sample | kiln data mnist.
// Every option is checked (src/cli/args.ts) before a device is opened or data is read.
import { readFileSync } from 'node:fs';
import { describeDevice } from './commands/info';
import { trainLinregCommand } from './commands/train-linreg';
import { trainSoftmaxCommand } from './commands/train-softmax';
import { trainMnistCommand } from './commands/train-mnist';
import { trainCharlmCommand } from './commands/train-charlm';
import { sampleCommand } from './commands/sample';
import { evalMnistCommand } from './commands/eval-mnist';
import { profileMnistCommand } from './commands/profile-mnist';
import { dataOptions } from './commands/mnist-data';
import { dataMnistCommand, MNIST_MIRROR } from './commands/data-mnist';
import { PRECISIONS } from '../train/precision';
import { COUNT, optionHelp, parseOptions, UsageError, type OptionSpec, type ParsedOptions } from './args';
import { AdapterFallback, type AdapterPick } from './adapter-pick';
import { ADAPTER_CHOICES, openDevice, parseAdapterChoice } from '../device/node';
import type { Device } from '../device/device';
import '../graph/graph-ops';

const common: Record<string, OptionSpec> = {
  adapter: { type: 'string', choices: ADAPTER_CHOICES, help: 'gpu | swiftshader | llvmpipe | auto (or set KILN_ADAPTER)' },
  seed: { type: 'number', integer: true, min: 0, max: 0xffffffff, default: 0, help: 'seed of initialisation, data and shuffling' },
  help: { type: 'boolean', help: 'show this help (also -h)' },
};

// Commands that never touch the GPU say needsDevice: false, so they run where no adapter opens.
type Command = {
  summary: string;
  options: Record<string, OptionSpec>;
  /** Its standard output is the result (generated text): notes such as the adapter line go to stderr. */
  resultOnStdout?: true;
} & (
  | {
      needsDevice?: true;
      /** With --adapter auto and no GPU: the software adapter that runs this work fastest, and why. */
      pick?: (options: ParsedOptions) => AdapterPick;
      run: (device: Device, options: ParsedOptions, given: ReadonlySet<string>) => Promise<void>;
    }
  | { needsDevice: false; run: (options: ParsedOptions) => Promise<void> }
);

/** llvmpipe runs these nets 5-6x faster than SwiftShader here (README: Measured). */
const CONV_NET: AdapterPick = { prefer: 'llvmpipe', why: 'it trains conv nets several times faster than SwiftShader' };

const mnistTraining = {
  epochs: { ...COUNT, default: 2, help: 'passes over the training set' },
  'batch-size': { ...COUNT, default: 64, help: 'images per step' },
  lr: { type: 'number', above: 0, default: 0.025, help: 'learning rate' },
  momentum: { type: 'number', min: 0, below: 1, default: 0.9, help: 'SGD momentum' },
  limit: { ...COUNT, help: 'train on the first N training images only' },
  precision: {
    type: 'string',
    default: 'f32',
    choices: [...PRECISIONS],
    help: "f32, or f16-mixed: the linear layers' products read f16 operands and accumulate in f32 (weights, gradients and the rest stay f32)",
  },
} satisfies Record<string, OptionSpec>;

const commands: Record<string, Command> = {
  info: {
    summary: 'print the adapter, backend, features and limits',
    options: {},
    run: async (device) => console.log(describeDevice(device)),
  },
  'train linreg': {
    summary: "fit the seed tutorials' linear regressions on the GPU",
    options: {
      variant: { type: 'string', default: 'all', choices: ['a', 'b', 'c', 'all'], help: 'a (y = 2x + 3), b (synthetic 1000x2), c (b standardized) or all' },
    },
    pick: () => ({ prefer: 'swiftshader', why: 'its dispatches cost less than llvmpipe’s, and these steps are tiny' }),
    run: trainLinregCommand,
  },
  'train softmax': {
    summary: 'softmax regression on Fashion-MNIST (d2l): 784 -> 10, SGD',
    options: {
      epochs: { ...COUNT, default: 10, help: 'passes over the training set' },
      'batch-size': { ...COUNT, default: 256, help: 'examples per step' },
      lr: { type: 'number', above: 0, default: 0.1, help: 'learning rate' },
      limit: { ...COUNT, help: 'train on the first N training images only' },
      data: { type: 'string', help: 'folder with the four IDX files (default /usr/share/datasets/fashion-mnist)' },
    },
    pick: () => ({ prefer: 'llvmpipe', why: 'it runs this model several times faster than SwiftShader' }),
    run: trainSoftmaxCommand,
  },
  'train mnist': {
    summary: "the PyTorch MNIST example's CNN, trained on the GPU (the main job)",
    options: {
      ...mnistTraining,
      save: { type: 'string', output: true, help: 'write the trained weights to FILE (safetensors, PyTorch names)' },
      'checkpoint-dir': {
        type: 'string',
        outputFolder: true,
        help: 'write a training checkpoint into DIR at each epoch end (and on Ctrl-C); --resume DIR continues from it',
      },
      'checkpoint-every': { ...COUNT, help: 'also write a checkpoint every N steps' },
      deterministic: {
        type: 'boolean',
        default: false,
        help: 'default kernel forms whatever the tuning cache holds: the same seed gives bit-identical runs on one adapter',
      },
      resume: { type: 'string', help: 'continue the run whose checkpoints are in DIR (its settings unless given)' },
      ...dataOptions,
    },
    pick: () => CONV_NET,
    run: trainMnistCommand,
  },
  'train charlm': {
    summary: "nanoGPT's shakespeare_char: a character-level GPT on tiny Shakespeare (or --data FILE)",
    options: {
      layers: { ...COUNT, default: 4, help: 'transformer blocks' },
      heads: { ...COUNT, default: 4, help: 'attention heads' },
      embd: { ...COUNT, default: 128, help: 'width (a multiple of --heads)' },
      block: { ...COUNT, default: 64, help: 'context length in characters' },
      'batch-size': { ...COUNT, default: 12, help: 'windows per iteration' },
      iters: { ...COUNT, default: 2000, help: 'training iterations' },
      lr: { type: 'number', above: 0, default: 1e-3, help: 'peak learning rate (AdamW, betas 0.9/0.99, weight decay 0.1 on matrices)' },
      warmup: { type: 'number', integer: true, min: 0, default: 100, help: 'iterations of linear warmup' },
      'min-lr': { type: 'number', min: 0, default: 1e-4, help: 'learning rate at the end of the cosine decay' },
      dropout: { type: 'number', min: 0, below: 1, default: 0, help: 'dropout after the embeddings and on the residual branches' },
      'eval-every': { type: 'number', integer: true, min: 0, default: 250, help: 'iterations between loss estimates on both splits (0: at the end only)' },
      'eval-iters': { ...COUNT, default: 20, help: 'batches per loss estimate' },
      'report-every': { ...COUNT, default: 50, help: 'iterations per progress line (one submit each)' },
      'sample-tokens': { type: 'number', integer: true, min: 0, default: 300, help: 'characters of text generated at the end' },
      save: { type: 'string', output: true, help: 'write the model (safetensors, nanoGPT names, vocabulary in the metadata) at each estimate' },
      'checkpoint-dir': {
        type: 'string',
        outputFolder: true,
        help: 'write a training checkpoint into DIR at each estimate (and on Ctrl-C); --resume DIR continues from it',
      },
      'checkpoint-every': { ...COUNT, help: 'write a checkpoint every N iterations instead' },
      resume: { type: 'string', help: 'continue the run whose checkpoints are in DIR (its settings unless given)' },
      data: { type: 'string', help: 'a UTF-8 text file (default: the shipped tiny Shakespeare)' },
      deterministic: { type: 'boolean', default: false, help: 'default kernel forms, untuned: the same seed gives the same losses' },
      precision: mnistTraining.precision,
    },
    pick: () => ({ prefer: 'llvmpipe', why: 'it runs this model’s larger kernels faster than SwiftShader' }),
    run: trainCharlmCommand,
  },
  sample: {
    summary: 'text from a character model saved by kiln train charlm --save',
    options: {
      load: { type: 'string', required: 'the model to sample from (saved by kiln train charlm --save)', help: 'the safetensors model' },
      prompt: { type: 'string', help: 'the text to continue (default: a newline)' },
      tokens: { ...COUNT, default: 500, help: 'characters to generate' },
      temperature: { type: 'number', above: 0, default: 0.8, help: 'below 1 sharper, above 1 more varied' },
      'top-k': { ...COUNT, help: 'draw only among the K most likely characters' },
    },
    pick: () => ({ prefer: 'llvmpipe', why: 'it runs this model’s kernels faster than SwiftShader' }),
    resultOnStdout: true,
    run: sampleCommand,
  },
  'eval mnist': {
    summary: 'test loss and accuracy of a checkpoint saved by kiln train mnist --save',
    options: {
      load: {
        type: 'string',
        required: 'the safetensors checkpoint to evaluate (saved by kiln train mnist --save)',
        help: 'the safetensors checkpoint to evaluate',
      },
      'batch-size': { ...COUNT, default: 1000, help: 'images per step' },
      ...dataOptions,
      net: { ...dataOptions.net, default: undefined, help: 'full or narrow (default: read from the checkpoint)' },
    },
    pick: () => CONV_NET,
    run: evalMnistCommand,
  },
  'profile mnist': {
    summary: 'per-kernel GPU time of one MNIST training step (timestamp queries, or --isolated), its share, GFLOP/s and GB/s',
    options: {
      'batch-size': { ...COUNT, default: 64, help: 'images per step' },
      steps: { ...COUNT, default: 10, help: 'steps of the profiled run (one submit)' },
      warmup: { type: 'number', integer: true, min: 0, default: 2, help: 'steps run before the profiled ones' },
      isolated: { type: 'boolean', default: false, help: 'time each kernel alone on the CPU, a submit per kernel (works without timestamp-query)' },
      limit: { ...COUNT, help: 'load the first N training images only' },
      dataset: dataOptions.dataset,
      data: dataOptions.data,
      net: dataOptions.net,
    },
    // Timestamp queries exist on SwiftShader only; --isolated times kernels on any adapter.
    pick: (options) =>
      options['isolated'] === true ? CONV_NET : { prefer: 'swiftshader', why: 'it has timestamp queries (llvmpipe has none; --isolated works there)' },
    run: profileMnistCommand,
  },
  'data mnist': {
    summary: 'download the four MNIST files and check their md5s (no GPU needed)',
    needsDevice: false,
    options: {
      download: { type: 'string', required: 'the folder to put the MNIST files in', help: 'folder to put the files in (created if missing; required)' },
      mirror: { type: 'string', default: MNIST_MIRROR, help: 'base URL the files are fetched from' },
      manifest: { type: 'string', help: 'JSON file { "<file name>": "<md5 hex>" or { "md5": ..., "bytes": N } } (default: the four official MNIST files)' },
      timeout: { type: 'number', above: 0, default: 30, help: 'seconds without a byte (connecting included) before an attempt is given up' },
      retries: { type: 'number', integer: true, min: 0, default: 2, help: 'further attempts after a network failure, a timeout or a server error' },
    },
    run: dataMnistCommand,
  },
};

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function usage(group?: string): string {
  const names = Object.keys(commands).filter((n) => group === undefined || n.startsWith(`${group} `));
  return [
    `usage: kiln ${group ?? '<command>'} ${group ? '<what>' : ''} [options]`.replace(/\s+/g, ' '),
    '',
    ...names.map((name) => `  kiln ${name.padEnd(16)} ${commands[name]!.summary}`),
    '',
    'kiln <command> --help (or kiln help <command>) lists its options; kiln --version prints the version.',
  ].join('\n');
}

function commandHelp(name: string): string {
  const command = commands[name]!;
  return `kiln ${name}: ${command.summary}\n\noptions:\n${optionHelp(specsOf(command))}`;
}

// --adapter and --seed mean nothing to a command without a device, so it does not offer them.
function specsOf(command: Command): Record<string, OptionSpec> {
  return { ...command.options, ...(command.needsDevice === false ? { help: common['help']! } : common) };
}

const groups = new Set(
  Object.keys(commands)
    .filter((n) => n.includes(' '))
    .map((n) => n.split(' ')[0]!),
);

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h') {
    console.log(usage());
    return 0;
  }
  if (first === '--version' || first === '-V') {
    console.log(version());
    return 0;
  }
  if (first === 'help') {
    const topic = argv.slice(1).join(' ');
    if (topic === '') console.log(usage());
    else if (topic in commands) console.log(commandHelp(topic));
    else if (groups.has(topic)) console.log(usage(topic));
    else throw new UsageError(`no help for '${topic}'\n\n${usage()}`);
    return 0;
  }
  const name = [argv.slice(0, 2).join(' '), first].find((n) => n in commands);
  if (!name) {
    if (groups.has(first)) {
      const rest = argv[1];
      if (rest === '--help' || rest === '-h') {
        console.log(usage(first));
        return 0;
      }
      if (rest === undefined) throw new UsageError(`'kiln ${first}' needs to know what to ${first}\n\n${usage(first)}`);
      throw new UsageError(`unknown command 'kiln ${first} ${rest}'\n\n${usage(first)}`);
    }
    throw new UsageError(`unknown command '${argv.slice(0, 2).join(' ')}'\n\n${usage()}`);
  }
  const command = commands[name]!;
  const { options, positional, given } = parseOptions(argv.slice(name.split(' ').length), specsOf(command));
  if (options['help']) {
    console.log(commandHelp(name));
    return 0;
  }
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  if (command.needsDevice === false) {
    await command.run(options);
    return 0;
  }
  const choice = parseAdapterChoice(options['adapter'] !== undefined ? String(options['adapter']) : process.env['KILN_ADAPTER']);
  let pick = choice === 'auto' ? command.pick?.(options) : undefined;
  for (;;) {
    const device = await openDevice({ adapter: choice, ...(pick ? { prefer: pick.prefer } : {}) });
    if (choice === 'auto')
      (command.resultOnStdout ? console.error : console.log)(
        `adapter: ${device.adapter.backend} (${device.adapter.description || 'no description'}), chosen by --adapter auto: ${whyChosen(device, pick)}`,
      );
    try {
      await command.run(device, options, given);
      return 0;
    } catch (error) {
      // A software adapter chosen for speed that cannot hold the work: the other one can.
      if (!(error instanceof AdapterFallback) || choice !== 'auto' || pick?.prefer === error.prefer) throw error;
      pick = { prefer: error.prefer, why: error.why };
    } finally {
      device.destroy();
    }
  }
}

function whyChosen(device: Device, pick: AdapterPick | undefined): string {
  if (!device.adapter.isSoftware) return 'a GPU was found';
  if (!pick) return 'no GPU was found';
  return device.adapter.backend === pick.prefer ? `no GPU was found, and ${pick.why}` : `no GPU was found, and ${pick.prefer} could not be opened`;
}

// Run by bin/kiln.js over an IPC channel: if that process dies (even by SIGKILL), so does this one.
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.exit(129));
}

// `kiln ... | head -1`: the reader went away, which is no error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    console.error(`kiln: ${e instanceof UsageError || e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`);
    if (process.env['KILN_DEBUG']) console.error(e.stack);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
