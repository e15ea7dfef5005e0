"""LLVM through llvmlite: optimize and compile a module to an object file (cached on disk),
link it into the process with ORC, and make its entry a Python function.

Tiers: modules compile at O0 first (straight-line code, where LLVM's optimizer and code
generator cost most, stays there); code with loops is recompiled at O2 once hot
(``module``'s docstring; ``LINTRA_NATIVE_OPT`` sets one level for all).
The disk cache (``~/.cache/lintra/native``, or ``$LINTRA_CACHE_DIR``) keys each object by
the module's IR text, the optimization level, the LLVM version and the host CPU's name and
features (a ``.seen`` file notes that a program was tiered up, so a later process loads its
O2 object at once); delete the folder to clear it."""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import pathlib
import tempfile
import threading
import time
from typing import Any

import llvmlite
import llvmlite.binding as llvm

llvm.initialize_native_target()
llvm.initialize_native_asmprinter()

_lock = threading.Lock()
_state: dict = {}
# compiled: objects compiled by LLVM; cache_hits: objects read from disk; functions: called
# programs emitted as their own shared module (``module.SharedFunction``); function_hits: a
# module calling one that was already there
stats = {"compiled": 0, "cache_hits": 0, "compile_s": 0.0, "functions": 0, "function_hits": 0}

# tiers: a module whose own equations (sub-programs of loops and branches included, called
# programs not) exceed O2_LIMIT stays at O0; TIER_UP: O2 code is compiled in the background
# once hot (else before the first call); OPT: one level for every module
O2_LIMIT = 4000
TIER_UP = os.environ.get("LINTRA_NATIVE_TIERUP", "1") not in ("", "0")
OPT = os.environ.get("LINTRA_NATIVE_OPT")

_C_API = ("PyObject_Vectorcall", "PyTuple_New", "PyTuple_SetItem", "Py_DecRef")


def _target_machine(opt: int):
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
        opt=opt, reloc="pic", codemodel="default", jit=False)


def _setup():
    if not _state:
        for name in _C_API:          # the C-API by symbol, whatever exports the interpreter
            llvm.add_symbol(name, ctypes.cast(getattr(ctypes.pythonapi, name),
                                              ctypes.c_void_p).value)
        _state["tms"] = {k: _target_machine(k) for k in (0, 2)}
        # JITLink, not RuntimeDyld: RuntimeDyld's memory manager maps an object's code and
        # data sections separately, and in a large process (a test suite: thousands of
        # objects, GBs of arrays) they landed over 2 GiB apart, beyond the reach of the
        # 32-bit PC-relative references between them (wrong loads, crashes); JITLink
        # allocates an object's sections as one block and reaches other code through stubs
        _state["jit"] = llvm.create_lljit_compiler(_target_machine(2), use_jit_link=True)
        _state["n"] = 0
    return _state


def cache_dir() -> pathlib.Path:
    d = os.environ.get("LINTRA_CACHE_DIR")
    return pathlib.Path(d) if d else pathlib.Path.home() / ".cache" / "lintra" / "native"


@functools.cache
def _host() -> tuple[str, ...]:
    """What, besides the IR, decides the object code: versions, target, CPU and features."""
    return (llvmlite.__version__, str(llvm.llvm_version_info), llvm.get_process_triple(),
            llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten())


def cache_key(ir_text: str, opt: int) -> str:
    h = hashlib.sha256()
    for part in (ir_text, str(opt), *_host()):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def is_cached(ir_text: str, opt: int) -> bool:
    return (cache_dir() / f"{cache_key(ir_text, opt)}.o").exists()


def note(text: str, opt: int) -> None:
    """Remember on disk that ``text`` (a module's signature) was compiled at ``opt``."""
    _store(cache_dir() / f"{cache_key(text, opt)}.seen", b"")


def noted(text: str, opt: int) -> bool:
    return (cache_dir() / f"{cache_key(text, opt)}.seen").exists()


def compile_object(ir_text: str, opt: int) -> bytes:
    """The object code of ``ir_text`` at ``opt`` (0, 1: O2's vectorized loops without
    unrolling or interleaving, or 2), from the disk cache if there."""
    key = cache_key(ir_text, opt)
    path = cache_dir() / f"{key}.o"
    try:
        data = path.read_bytes()
        stats["cache_hits"] += 1
        return data
    except OSError:
        pass
    t0 = time.perf_counter()
    with _lock:
        mod, tm = _optimize(ir_text, opt)
        try:
            data = tm.emit_object(mod)
        finally:
            mod.close()
    stats["compiled"] += 1
    stats["compile_s"] += time.perf_counter() - t0
    _store(path, data)
    return data


def _optimize(ir_text: str, opt: int):
    """The module parsed and optimized at ``opt``, and its target machine. Call under
    ``_lock`` and ``close()`` the module before releasing it: modules live in LLVM's global
    context, which is not thread-safe (a module freed by the garbage collector on one thread
    while another parsed corrupted the heap: crashes in later LLVM calls)."""
    st = _setup()
    tm = st["tms"][min(opt, 2) if opt != 1 else 2]
    mod = llvm.parse_assembly(ir_text)
    try:
        mod.triple = llvm.get_process_triple()
        mod.data_layout = str(tm.target_data)
        mod.verify()
        if opt:
            pto = llvm.create_pipeline_tuning_options(speed_level=2)
            if opt == 1:        # O2 without unrolling and interleaving: half the compile
                pto.loop_unrolling = pto.loop_interleaving = False
            pb = llvm.create_pass_builder(tm, pto)
            pb.getModulePassManager().run(mod, pb)
            pb.close()
            pto.close()
    except BaseException:
        mod.close()
        raise
    return mod, tm


def optimized_ir(ir_text: str, opt: int) -> str:
    """``ir_text`` after LLVM's pipeline at ``opt`` (what the optimizer made of it)."""
    with _lock:
        mod, _ = _optimize(ir_text, opt)
        try:
            return str(mod)
        finally:
            mod.close()


def _store(path: pathlib.Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        pass                       # a read-only home: no cache, still correct


def link(obj: bytes, symbols: list[str]):
    """Load ``obj`` into the process; returns (resource tracker, {symbol: address})."""
    with _lock:
        st = _setup()
        st["n"] += 1
        builder = llvm.JITLibraryBuilder().add_object_img(obj).add_current_process()
        for s in symbols:
            builder.export_symbol(s)
        tracker = builder.link(st["jit"], f"lintra{st['n']}")
        return tracker, {s: tracker[s] for s in symbols}


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


METH_FASTCALL = 0x0080
_new_cfunction = ctypes.pythonapi.PyCFunction_NewEx
_new_cfunction.restype = ctypes.py_object
_new_cfunction.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.py_object]


def method_def(address: int, name: str) -> ctypes.Structure:
    """The method definition of the METH_FASTCALL C function at ``address`` (kept alive by
    the functions made from it)."""
    return _MethodDef(name.encode(), address, METH_FASTCALL, None)


def make_function(mdef: ctypes.Structure, self: Any) -> Any:
    """A builtin function object calling ``mdef``'s C function with ``self`` (which keeps
    the code and constants alive)."""
    return _new_cfunction(ctypes.addressof(mdef), self, None)


def set_global(address: int, value: int) -> None:
    ctypes.c_void_p.from_address(address).value = value
