"""Legacy Word (.doc) and WPS (.wps) attachments to text, and naming the office files we don't read.

Portals still attach Word 97-2003 files, and WPS Office saves .wps files in the same format.
No maintained pure-Python reader exists for it, so the text comes from Debian's ``antiword``,
or ``catdoc`` when antiword is missing or fails; each runs as a subprocess (no shell) on a
temporary copy of the bytes, within one deadline and with its output bounded by --max-bytes.
Without either tool the file is refused with one line saying what to install.

Spreadsheets, presentations and images are not documents we read; they are refused with
``unsupported_format`` naming what they are, so the user knows to save or convert them.
"""
from __future__ import annotations

import io
import os
import selectors
import shutil
import subprocess
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

from plancli.read import DEFAULT_MAX_BYTES, Decoded, InputError

#: Signature of an OLE2 compound file: .doc, .wps, .xls, .ppt, .msg all start with it.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Both converters together get this long: a normal .doc takes well under a second.
TIMEOUT = 60.0
#: Converter messages kept for the error line (their stderr is otherwise discarded).
_MAX_STDERR = 4096

NO_CONVERTER = ("legacy Word/WPS file: install antiword or catdoc (Debian: apt install antiword catdoc) "
                "to read it, or save it as .docx")

#: OLE2 files that are not Word documents, named by their suffix when the converters fail.
_OLE2_BY_SUFFIX = {
    ".xls": "Excel workbook (.xls)", ".xlt": "Excel template (.xlt)", ".et": "WPS spreadsheet (.et)",
    ".ppt": "PowerPoint presentation (.ppt)", ".pps": "PowerPoint slide show (.pps)",
    ".dps": "WPS presentation (.dps)", ".msg": "Outlook message (.msg)", ".vsd": "Visio drawing (.vsd)",
}


def unsupported(what: str) -> InputError:
    return InputError("unsupported_format", f"not a supported document: {what}")


def read_doc(data: bytes, suffix: str, max_bytes: int | None = None) -> Decoded:
    """The text of a Word 97-2003 (or Word-compatible WPS) file, one paragraph per block."""
    max_bytes = max_bytes or DEFAULT_MAX_BYTES
    converters = [(name, path) for name, path in (("antiword", shutil.which("antiword")),
                                                  ("catdoc", shutil.which("catdoc"))) if path]
    deadline = time.monotonic() + TIMEOUT
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="plancli-doc-") as tmp:
        name = os.path.join(tmp, "input.doc")
        with open(name, "wb") as fh:
            fh.write(data)
        for tool, path in converters:
            argv = ([path, "-m", "UTF-8.txt", "-w", "0", name] if tool == "antiword"
                    else [path, "-d", "utf-8", "-w", name])
            try:
                code, out, err = _run(argv, max_bytes, deadline)
            except OSError as exc:  # not executable, or gone since ``which`` found it
                failures.append(f"{tool}: {exc.strerror or exc}")
                continue
            if code == 0:
                text = out.decode("utf-8", errors="replace").replace("\x0c", "\n")
                return Decoded(_join_lines(text), "utf-8", format="doc")
            why = err.decode("utf-8", errors="replace").replace(name, "file").strip().splitlines()
            failures.append(f"{tool}: {why[0].rstrip('.') if why else f'exit status {code}'}")
    what = _OLE2_BY_SUFFIX.get(suffix)
    if what is None and any("Excel" in f for f in failures):  # antiword: "this is an Excel spreadsheet"
        what = "Excel workbook (.xls)"
    if what:
        raise unsupported(what)
    if not converters:
        raise InputError("unsupported_format", NO_CONVERTER)
    raise InputError("unsupported_format", f"legacy Word/WPS file that neither converter can read "
                                           f"({'; '.join(failures)}); save it as .docx")


def _join_lines(text: str) -> str:
    """Both converters print a paragraph per line (with -w); make that our block layout."""
    return "\n\n".join(line for line in (x.strip() for x in text.splitlines()) if line) + "\n"


def _run(argv: list[str], max_bytes: int, deadline: float) -> tuple[int, bytes, bytes]:
    """Run a converter: (exit code, stdout, stderr), reading as it goes so that neither the
    deadline nor ``max_bytes`` of output can be overrun; the process is killed on either."""
    out, err = bytearray(), bytearray()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, out)
            sel.register(proc.stderr, selectors.EVENT_READ, err)
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise InputError("timeout", f"{Path(argv[0]).name} took longer than {TIMEOUT:g} s on this "
                                                "legacy Word file; stopped")
                for key, _ in sel.select(left):
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        sel.unregister(key.fileobj)
                    elif key.data is out or len(err) < _MAX_STDERR:
                        key.data.extend(chunk)
                if len(out) > max_bytes:
                    raise InputError("too_large", f"legacy Word file has more than the limit of {max_bytes} bytes "
                                                  "of text (raise it with --max-bytes)")
        return proc.wait(max(0.0, deadline - time.monotonic())), bytes(out), bytes(err)
    except subprocess.TimeoutExpired:
        raise InputError("timeout", f"{Path(argv[0]).name} took longer than {TIMEOUT:g} s on this legacy "
                                    "Word file; stopped") from None
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


#: A zip whose directory is larger than this is not an office file (and is not listed).
_MAX_ZIP_MEMBERS = 10_000
_MAX_ZIP_DIRECTORY = 4 << 20
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "OpenDocument text (.odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet (.ods)",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation (.odp)",
    "application/epub+zip": "EPUB e-book (.epub)",
}


def zip_members(data: bytes) -> list[str] | None:
    """Member names of a zip, or None when unreadable or too large a directory to list: its end
    record is checked first, since listing a zip of millions of entries costs gigabytes."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or len(data) < end + 22:
        return None
    count = int.from_bytes(data[end + 10:end + 12], "little")
    size = int.from_bytes(data[end + 12:end + 16], "little")
    if count > _MAX_ZIP_MEMBERS or size > _MAX_ZIP_DIRECTORY:  # (ZIP64 end records too)
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.namelist()[:_MAX_ZIP_MEMBERS]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None


def office_zip_format(data: bytes, names: list[str], suffix: str) -> str | None:
    """What a zip that is an office file other than .docx is (Excel, PowerPoint, OpenDocument), or None."""
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return f"Excel workbook ({suffix if suffix.startswith('.xl') else '.xlsx'})"
    if any(n.startswith("ppt/") for n in names):
        return f"PowerPoint presentation ({suffix if suffix.startswith('.pp') else '.pptx'})"
    if "mimetype" in names:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open("mimetype") as fh:
                mime = fh.read(100).decode("ascii", errors="replace").strip()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error):
            mime = ""
        return _OPENDOCUMENT.get(mime, f"OpenDocument file ({mime or 'unknown type'})")
    return None
