// The `kiln` command line: kiln info | kiln train linreg|softmax|mnist | kiln eval mnist | kiln profile mnist | kiln data mnist.
import { describeDevice } from './commands/info';
import { trainLinregCommand } from './commands/train-linreg';
import { trainSoftmaxCommand } from './commands/train-softmax';
import { trainMnistCommand } from './commands/train-mnist';
import { evalMnistCommand } from './commands/eval-mnist';
import { profileMnistCommand } from './commands/profile-mnist';
import { dataOptions } from './commands/mnist-data';
import { dataMnistCommand, MNIST_MIRROR } from './commands/data-mnist';
import { optionHelp, parseOptions, UsageError, type OptionSpec } from './args';
import { openDevice } from '../device/node';
import type { Device } from '../device/device';
import '../graph/graph-ops';

const common: Record<string, OptionSpec> = {
  adapter: { type: 'string', help: 'gpu | swiftshader | llvmpipe | auto (or set KILN_ADAPTER)' },
  seed: { type: 'number', default: 0, help: 'seed of initialisation, data and shuffling' },
  help: { type: 'boolean', help: 'show this help' },
};

type CommandOptions = Record<string, string | number | boolean | undefined>;

// Commands that never touch the GPU say needsDevice: false, so they run where no adapter opens.
type Command = {
  summary: string;
  options: Record<string, OptionSpec>;
} & (
  | { needsDevice?: true; run: (device: Device, options: CommandOptions) => Promise<void> }
  | { needsDevice: false; run: (options: CommandOptions) => Promise<void> }
);

const commands: Record<string, Command> = {
  info: {
    summary: 'print the adapter, backend, features and limits',
    options: {},
    run: async (device) => console.log(describeDevice(device)),
  },
  'train linreg': {
    summary: "fit the seed tutorials' linear regressions on the GPU",
    options: { variant: { type: 'string', default: 'all', help: 'a (y = 2x + 3), b (synthetic 1000x2), c (b standardized) or all' } },
    run: trainLinregCommand,
  },
  'train softmax': {
    summary: 'softmax regression on Fashion-MNIST (d2l): 784 -> 10, SGD',
    options: {
      epochs: { type: 'number', default: 10, help: 'passes over the training set' },
      'batch-size': { type: 'number', default: 256, help: 'examples per step' },
      lr: { type: 'number', default: 0.1, help: 'learning rate' },
      limit: { type: 'number', help: 'train on the first N training images only' },
      data: { type: 'string', help: 'folder with the four IDX files (default /usr/share/datasets/fashion-mnist)' },
    },
    run: trainSoftmaxCommand,
  },
  'train mnist': {
    summary: "the PyTorch MNIST example's CNN, trained on the GPU (the main job)",
    options: {
      epochs: { type: 'number', default: 2, help: 'passes over the training set' },
      'batch-size': { type: 'number', default: 64, help: 'images per step' },
      lr: { type: 'number', default: 0.025, help: 'learning rate' },
      momentum: { type: 'number', default: 0.9, help: 'SGD momentum' },
      limit: { type: 'number', help: 'train on the first N training images only' },
      save: { type: 'string', help: 'write the trained weights to FILE (safetensors, PyTorch names)' },
      ...dataOptions,
    },
    run: trainMnistCommand,
  },
  'eval mnist': {
    summary: 'test loss and accuracy of a checkpoint saved by kiln train mnist --save',
    options: {
      load: { type: 'string', help: 'the safetensors checkpoint to evaluate' },
      'batch-size': { type: 'number', default: 1000, help: 'images per step' },
      ...dataOptions,
      net: { type: 'string', help: 'full or narrow (default: read from the checkpoint)' },
    },
    run: evalMnistCommand,
  },
  'profile mnist': {
    summary: 'per-kernel GPU time of one MNIST training step (timestamp queries, or --isolated), its share, GFLOP/s and GB/s',
    options: {
      'batch-size': { type: 'number', default: 64, help: 'images per step' },
      steps: { type: 'number', default: 10, help: 'steps of the profiled run (one submit)' },
      warmup: { type: 'number', default: 2, help: 'steps run before the profiled ones' },
      isolated: { type: 'boolean', default: false, help: 'time each kernel alone on the CPU, a submit per kernel (works without timestamp-query)' },
      limit: { type: 'number', help: 'load the first N training images only' },
      dataset: dataOptions['dataset']!,
      data: dataOptions['data']!,
      net: dataOptions['net']!,
    },
    run: profileMnistCommand,
  },
  'data mnist': {
    summary: 'download the four MNIST files and check their md5s (no GPU needed)',
    needsDevice: false,
    options: {
      download: { type: 'string', help: 'folder to put the files in (created if missing; required)' },
      mirror: { type: 'string', default: MNIST_MIRROR, help: 'base URL the files are fetched from' },
      manifest: { type: 'string', help: 'JSON file { "<file name>": "<md5 hex>" } (default: the four official MNIST files)' },
    },
    run: dataMnistCommand,
  },
};

function usage(): string {
  return ['usage: kiln <command> [options]', '', ...Object.entries(commands).map(([name, c]) => `  kiln ${name.padEnd(16)} ${c.summary}`), '', 'kiln <command> --help lists its options.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const name = [argv.slice(0, 2).join(' '), argv[0] ?? ''].find((n) => n in commands);
  if (!name) {
    if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help') {
      console.log(usage());
      return 0;
    }
    console.error(`kiln: unknown command '${argv.slice(0, 2).join(' ')}'\n\n${usage()}`);
    return 2;
  }
  const command = commands[name]!;
  // --adapter and --seed mean nothing to a command without a device, so it does not offer them.
  const specs = { ...command.options, ...(command.needsDevice === false ? { help: common['help']! } : common) };
  const { options, positional } = parseOptions(argv.slice(name.split(' ').length), specs);
  if (options['help']) {
    console.log(`kiln ${name}: ${command.summary}\n\noptions:\n${optionHelp(specs)}`);
    return 0;
  }
  if (positional.length) throw new UsageError(`unexpected argument '${positional[0]}'`);
  if (command.needsDevice === false) {
    await command.run(options);
    return 0;
  }
  const device = await openDevice({ ...(options['adapter'] !== undefined ? { adapter: String(options['adapter']) } : {}) });
  try {
    await command.run(device, options);
  } finally {
    device.destroy();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    console.error(`kiln: ${e instanceof UsageError || e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}`);
    if (process.env['KILN_DEBUG']) console.error(e.stack);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
