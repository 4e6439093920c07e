// What `npm start` and `npm test` need from the machine besides Node.js and npm, checked before
// anything is built, so a fresh machine gets one clear sentence instead of a failure deep inside
// code-server's install. As root on Debian or Ubuntu the missing packages are installed with apt-get
// (what .ci/run relies on); anywhere else the command to run is printed and the script stops.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Each need: what it is for, how to tell it is there, and its Debian package. `when` names the
 * purposes that need it: 'build' (compiling code-server's native modules, only while the toolchain
 * is not cached), 'browser' (Chromium opening the workbench), 'python' (the Python client's tests
 * and the training scripts), 'git' (runs record their git state), 'ml' (the autolog and media tests,
 * which run scikit-learn, PyTorch, numpy, Pillow, matplotlib, pandas and PyYAML scripts with Debian's
 * /usr/bin/python3: the python3 first on PATH may be another interpreter, and Debian's packages
 * install for that one).
 */
const NEEDS = [
  {
    pkg: 'python3',
    why: 'Python 3 runs the training scripts and the client tests',
    when: ['python'],
    command: 'python3',
  },
  {
    pkg: 'python3-venv',
    why: 'the client is pip-installed into a fresh virtualenv in the tests',
    when: ['python'],
    check: venvWorks,
  },
  { pkg: 'git', why: 'runs record the git state of their code', when: ['git'], command: 'git' },
  {
    pkg: 'python3-sklearn',
    why: `the autolog tests train scikit-learn models with ${libsPython()}`,
    when: ['ml'],
    check: () => imports('sklearn'),
  },
  {
    pkg: 'python3-torch',
    why: `the autolog tests train PyTorch models with ${libsPython()}`,
    when: ['ml'],
    check: () => imports('torch'),
  },
  {
    pkg: 'python3-pandas',
    why: `the autolog and media tests log dataframes with ${libsPython()}`,
    when: ['ml'],
    check: () => imports('pandas'),
  },
  {
    pkg: 'python3-numpy',
    why: `the media tests log numpy arrays as images with ${libsPython()}`,
    when: ['ml'],
    check: () => imports('numpy'),
  },
  {
    pkg: 'python3-pil',
    why: `the media tests check images and their WebP previews with Pillow in ${libsPython()}`,
    when: ['ml'],
    check: () => imports('PIL'),
  },
  {
    pkg: 'python3-matplotlib',
    why: `the media tests log matplotlib figures with ${libsPython()}`,
    when: ['ml'],
    check: () => imports('matplotlib'),
  },
  {
    pkg: 'python3-yaml',
    why: `the media tests compare log_dict's YAML with PyYAML's in ${libsPython()}`,
    when: ['ml'],
    check: () => imports('yaml'),
  },
  {
    pkg: 'chromium',
    why: 'Chromium opens the test VS Code (code-server) headless',
    when: ['browser'],
    check: chromiumFound,
  },
  {
    pkg: 'build-essential',
    why: "code-server's native modules are compiled on first install",
    when: ['build'],
    command: 'g++',
  },
  { pkg: 'make', why: "code-server's native modules are compiled on first install", when: ['build'], command: 'make' },
  {
    pkg: 'pkg-config',
    why: "code-server's native modules find their libraries with it",
    when: ['build'],
    command: 'pkg-config',
  },
  { pkg: 'libkrb5-dev', why: "code-server's kerberos module", when: ['build'], pkgConfig: 'krb5-gssapi' },
  { pkg: 'libx11-dev', why: "code-server's native keymap module", when: ['build'], pkgConfig: 'x11' },
  { pkg: 'libxkbfile-dev', why: "code-server's native keymap module", when: ['build'], pkgConfig: 'xkbfile' },
  { pkg: 'libsecret-1-dev', why: "code-server's keytar module", when: ['build'], pkgConfig: 'libsecret-1' },
];

/** The Python the autolog tests run their scripts with (test/python/support.py, LIBS_PYTHON). */
export function libsPython() {
  return process.env.RUNLOG_TEST_LIBS_PYTHON || '/usr/bin/python3';
}

function imports(module) {
  return spawnSync(libsPython(), ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

function commandFound(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function chromiumPath() {
  return process.env.RUNLOG_CHROMIUM || '/usr/bin/chromium';
}

function chromiumFound() {
  return existsSync(chromiumPath());
}

function venvWorks() {
  // Debian's python3 has the venv module but not ensurepip until python3-venv is installed.
  return spawnSync('python3', ['-c', 'import ensurepip, venv'], { stdio: 'ignore' }).status === 0;
}

function present(need) {
  if (need.check) return need.check();
  if (need.command) return commandFound(need.command);
  if (need.pkgConfig) {
    return commandFound('pkg-config') && spawnSync('pkg-config', ['--exists', need.pkgConfig]).status === 0;
  }
  return true;
}

function isDebianLike() {
  if (!existsSync('/etc/os-release')) return false;
  const text = readFileSync('/etc/os-release', 'utf8');
  return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(text);
}

/** The needs of these purposes that this machine lacks (an empty list when it has them all). */
export function missingPrerequisites(purposes) {
  if (process.platform !== 'linux') return [];
  return NEEDS.filter((need) => need.when.some((p) => purposes.includes(p)) && !present(need));
}

/**
 * Makes sure the machine has what `purposes` need: returns when it does (installing with apt-get as
 * root on Debian/Ubuntu), otherwise prints what to install and exits with status 1.
 */
export function ensurePrerequisites(purposes, { label }) {
  const missing = missingPrerequisites(purposes);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((n) => n.pkg))];
  const reasons = missing.map((n) => `  - ${n.pkg}: ${n.why}`).join('\n');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && isDebianLike() && commandFound('apt-get') && process.env.RUNLOG_NO_APT !== '1') {
    console.log(`${label} needs Debian packages this machine lacks; installing them:\n${reasons}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
    const install =
      update.status === 0
        ? spawnSync('apt-get', ['install', '-y', '-q', ...packages], { stdio: 'inherit', env })
        : update;
    const still = missingPrerequisites(purposes);
    if (install.status === 0 && still.length === 0) return;
    console.error(`\n${label}: apt-get could not install ${packages.join(' ')} (exit ${install.status}).`);
    process.exit(1);
  }
  const command = isDebianLike()
    ? `sudo apt-get install ${packages.join(' ')}`
    : `install the equivalents of the Debian packages ${packages.join(', ')} with your system's package manager`;
  console.error(`${label} needs what this machine lacks:\n${reasons}\n\nTo install them:\n  ${command}\n`);
  process.exit(1);
}
