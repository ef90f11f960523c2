"""Installs the archsim Python module: `pip install --no-build-isolation .` (Debian's python3-pip and
python3-setuptools around the CMake build; the build needs what scripts/install-deps installs).

CMake builds the `archsim_python` target (python/) in build-python/cmake; the module goes into the
installed tree with the presets (configs/, workloads/) beside it in `archsim_presets/`, where the
module looks for them. Nothing is written outside build-python/ and the installation.
"""
import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        for line in f:
            if line.startswith("project(") and "VERSION" in line:
                return line.split("VERSION")[1].split()[0]
    return "0"


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.join(ROOT, "build-python", "cmake")
        os.makedirs(build, exist_ok=True)
        subprocess.run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                        "-DARCHSIM_BUILD_TESTS=OFF", "-DARCHSIM_PYTHON=ON",
                        f"-DPython3_EXECUTABLE={sys.executable}"], check=True)
        subprocess.run(["cmake", "--build", build, "--target", "archsim_python", "-j",
                        str(os.cpu_count() or 1)], check=True)
        built = [p for p in glob.glob(os.path.join(build, "archsim*.so"))]
        if len(built) != 1:
            raise RuntimeError(f"expected one archsim module in {build}, found {built}")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)
        presets = os.path.join(os.path.dirname(target), "archsim_presets")
        for sub in ("configs", "workloads"):
            dest = os.path.join(presets, sub)
            if os.path.isdir(dest):
                shutil.rmtree(dest)  # ours: this build made it
            shutil.copytree(os.path.join(ROOT, sub), dest)


setup(
    name="archsim",
    version=version(),
    description="A discrete-event simulator of AI accelerators running transformer workloads",
    ext_modules=[Extension("archsim", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": os.path.join("build-python", "setuptools")}},
    zip_safe=False,
)
