"""cmz.open: a .cmz file as a binary file object (io.BufferedIOBase).

Reading is random access: the frame's index says where each chunk is, so seek() is free and
read() decodes only the chunks it needs (cmz._cmz.FrameReader). Writing streams: a thread
compresses chunks as they fill (cmz._cmz.compress_stream), so memory stays bounded whatever
is written. A file of several frames (what mode "ab" makes) reads as their contents in order.
"""

import io
import os
import stat
import threading

from . import _cmz

__all__ = ["open", "CmzFile"]

_AHEAD = 1 << 16  # the read-ahead window of small reads and readline
_MODES = {"r": "r", "rb": "r", "w": "w", "wb": "w", "x": "x", "xb": "x", "a": "a", "ab": "a"}
_NO_FILENO = ("cmz.open: a compressed file has no file descriptor of its content; read it "
              "with read()/readinto() (NumPy: f.readinto(array) or numpy.frombuffer(f.read(), "
              "dtype))")


def open(file, mode="rb", *, level=None, algorithm=None, threads=0, chunk_size=None,
         filter=None, typesize=None, parity=None):
    """Opens a .cmz file -> CmzFile (an io.BufferedIOBase).

    file: a path (str, bytes, os.PathLike) or a binary file object. mode: "rb" (read,
    seekable), "wb" (write, truncating), "xb" (write, the file must not exist), "ab" (append
    a new frame; readers see the frames' contents one after the other); "b" may be left out.
    Text mode is not offered: wrap the result in io.TextIOWrapper.

    Writing takes the compression options of cmz.compress: algorithm (default: zstd, or
    cmz.default_codec() in a build without zstd), level, threads (0: every core),
    chunk_size, filter, typesize, parity ((K, M) or None). Reading
    takes threads. A file object without a usable file descriptor (io.BytesIO, a socket's
    file) is read whole into memory first; one with a descriptor is read with pread as
    needed, leaving its position alone.
    """
    return CmzFile(file, mode, level=level, algorithm=algorithm, threads=threads,
                   chunk_size=chunk_size, filter=filter, typesize=typesize, parity=parity)


def _source_fd(fileobj):
    """The descriptor of a regular file behind fileobj, or None."""
    try:
        fd = fileobj.fileno()
        return fd if stat.S_ISREG(os.fstat(fd).st_mode) else None
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


class _Frames:
    """The frames of a source, found from its end, and one open reader at a time."""

    def __init__(self, source, size, threads):
        self._source, self._threads = source, threads
        spans = []  # (frame end in the source, content size), last frame first
        end = size
        while end > 0:
            reader = _cmz.FrameReader(source, threads=threads, end=end)
            spans.append((end, reader.content_size))
            end -= reader.frame_size
            if len(spans) == 1:
                self._reader, self._current = reader, 0
            else:
                reader.close()
        spans.reverse()
        self.starts, self.ends, start = [], [], 0
        for frame_end, content in spans:
            self.starts.append(start)
            self.ends.append(frame_end)
            start += content
        self.size = start
        if spans:
            self._current = len(spans) - 1  # the reader kept is the last frame's
        else:
            self._reader = None

    def _reader_for(self, i):
        if self._current != i:
            self._reader.close()
            self._reader = None
            self._reader = _cmz.FrameReader(self._source, threads=self._threads,
                                            end=self.ends[i])
            self._current = i
        return self._reader

    def readinto(self, pos, view):
        """Fills view from content position pos; returns the bytes written."""
        done = 0
        i = max(0, _bisect(self.starts, pos))
        while done < len(view) and i < len(self.starts):
            n = self._reader_for(i).readinto(pos + done - self.starts[i], view[done:])
            done += n
            i += 1
        return done

    def close(self):
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def _bisect(starts, pos):
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= pos:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


class _Feed:
    """The bounded hand-over from write() to the compressing thread."""

    def __init__(self, limit):
        self.cond = threading.Condition()
        self.buf = bytearray()
        self.limit = limit
        self.eof = False
        self.done = False

    def readinto(self, view):  # the compressing thread, with the GIL
        with self.cond:
            while not self.buf and not self.eof:
                self.cond.wait()
            n = min(len(view), len(self.buf))
            view[:n] = self.buf[:n]
            del self.buf[:n]
            self.cond.notify_all()
            return n

    def put(self, data):
        with self.cond:
            while len(self.buf) >= self.limit and not self.done:
                self.cond.wait()
            if self.done:
                return False
            self.buf += data
            self.cond.notify_all()
            return True

    def finish(self):
        with self.cond:
            self.eof = True
            self.cond.notify_all()


class CmzFile(io.BufferedIOBase):
    """A .cmz file opened by cmz.open: read (seekable) or write (streaming).

    Supports with, read/read1/readinto/readinto1, readline and iteration, seek/tell (read
    mode), write (write modes), shutil.copyfileobj. fileno() raises io.UnsupportedOperation:
    the descriptor would give compressed bytes, not the content.
    """

    def __init__(self, file, mode="rb", *, level=None, algorithm=None, threads=0,
                 chunk_size=None, filter=None, typesize=None, parity=None):
        # Set first: close() runs on a half-made object too (IOBase.__del__).
        self._owned = None  # what close() must close: our descriptor or file object
        self._pos = 0
        self._frames = self._thread = self._feed = self._error = None
        self._ahead = (0, b"")
        self._mode = "r"
        if mode not in _MODES:
            raise ValueError(f"cmz.open: invalid mode {mode!r} (use 'rb', 'wb', 'xb' or 'ab'; "
                             "for text wrap the file in io.TextIOWrapper)")
        self._mode = _MODES[mode]
        self.name = file if isinstance(file, (str, bytes, os.PathLike)) else getattr(
            file, "name", None)
        if self._mode == "r":
            if any(v is not None for v in (level, algorithm, chunk_size, filter, typesize,
                                           parity)):
                raise ValueError("cmz.open: compression options apply to writing only")
            self._open_read(file, threads)
        else:
            self._open_write(file, dict(algorithm=algorithm, level=level, threads=threads,
                                        chunk_size=chunk_size, filter=filter,
                                        typesize=typesize, parity=parity))

    # ---- reading ----

    def _open_read(self, file, threads):
        if isinstance(file, (str, bytes, os.PathLike)):
            fd = os.open(file, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            self._owned = fd
            source, size = fd, os.fstat(fd).st_size
        elif not hasattr(file, "read"):
            raise TypeError("cmz.open: file must be a path or a binary file object, not "
                            f"{type(file).__name__}")
        else:
            fd = _source_fd(file)
            if fd is not None:
                source, size = fd, os.fstat(fd).st_size
            else:
                source = file.read()
                if not isinstance(source, (bytes, bytearray)):
                    raise TypeError("cmz.open: the file object must be opened in binary mode")
                size = len(source)
        try:
            self._frames = _Frames(source, size, threads)
        except BaseException:
            self._close_owned()
            raise

    def readable(self):
        """True in read mode."""
        self._check_open()
        return self._mode == "r"

    def seekable(self):
        """True in read mode (random access through the index); writing streams."""
        self._check_open()
        return self._mode == "r"

    def _check_read(self):
        self._check_open()
        if self._mode != "r":
            raise io.UnsupportedOperation("cmz.open: not open for reading")

    def readinto(self, b):
        """Reads into a writable buffer (bytearray, memoryview, NumPy array) -> bytes read."""
        self._check_read()
        with memoryview(b) as view, view.cast("B") as flat:
            n = self._frames.readinto(self._pos, flat)
        self._pos += n
        return n

    readinto1 = readinto

    def _window(self, need=1):
        """The bytes ahead of the position in the read-ahead window, at least `need` of
        them unless the content ends first (b"" at the end). Small reads and readline come
        from it rather than decoding a chunk each time."""
        start, data = self._ahead
        off = self._pos - start
        if not (0 <= off and off + need <= len(data)):
            n = min(_AHEAD, max(0, self._frames.size - self._pos))
            buf = bytearray(n)
            del buf[self._frames.readinto(self._pos, memoryview(buf)):]
            start, data = self._ahead = (self._pos, bytes(buf))
            off = 0
        return memoryview(data)[off:]

    def read(self, size=-1):
        """Reads up to size bytes (all that is left when size < 0 or None)."""
        self._check_read()
        left = max(0, self._frames.size - self._pos)
        n = left if size is None or size < 0 else min(size, left)
        if n < _AHEAD // 4:
            data = bytes(self._window(n)[:n])
            self._pos += len(data)
            return data
        buf = bytearray(n)
        got = self.readinto(buf) if n else 0
        del buf[got:]
        return bytes(buf)

    def read1(self, size=-1):
        """As read: the content is decoded in memory, there is no raw read to limit."""
        return self.read(size)

    def peek(self, size=0):
        """The bytes ahead without moving (what the read-ahead window holds)."""
        self._check_read()
        return bytes(self._window())

    def readline(self, size=-1):
        """Reads up to and including the next b"\\n" (at most size bytes)."""
        self._check_read()
        parts, total = [], 0
        while size is None or size < 0 or total < size:
            ahead = self._window()
            if not ahead:
                break
            if size is not None and size >= 0:
                ahead = ahead[: size - total]
            end = bytes(ahead).find(b"\n")
            piece = ahead if end < 0 else ahead[: end + 1]
            parts.append(bytes(piece))
            total += len(piece)
            self._pos += len(piece)
            if end >= 0:
                break
        return b"".join(parts)

    def seek(self, offset, whence=io.SEEK_SET):
        """Moves to a content position: free, since reads go through the index."""
        self._check_read()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._frames.size + offset
        else:
            raise ValueError(f"invalid whence ({whence})")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def tell(self):
        """The content position: where reading is, or the bytes written so far."""
        self._check_open()
        return self._pos

    @property
    def size(self):
        """The content size (read mode)."""
        self._check_read()
        return self._frames.size

    # ---- writing ----

    def _open_write(self, file, options):
        params = {key: value for key, value in options.items() if value is not None}
        # Refused settings are raised here, before a file is created or truncated.
        _cmz.Compressor(**dict(params, threads=1)).close()
        if isinstance(file, (str, bytes, os.PathLike)):
            target = io.open(file, self._mode + "b")
            self._owned = target
        elif hasattr(file, "write"):
            target = file
        else:
            raise TypeError("cmz.open: file must be a path or a binary file object, not "
                            f"{type(file).__name__}")
        self._target = target
        limit = max(int(params.get("chunk_size") or 0), 1 << 20) * 2
        self._feed = _Feed(limit)
        self._thread = threading.Thread(target=self._compress, args=(params,), daemon=True,
                                        name="cmz.open writer")
        self._thread.start()

    def _compress(self, params):
        try:
            _cmz.compress_stream(self._feed.readinto, self._target.write, **params)
        except BaseException as e:  # raised again by write() or close()
            self._error = e
        finally:
            with self._feed.cond:
                self._feed.done = True
                self._feed.cond.notify_all()

    def writable(self):
        """True in the write modes ("wb", "xb", "ab")."""
        self._check_open()
        return self._mode != "r"

    def write(self, b):
        """Takes any buffer; compression runs behind, chunk by chunk -> bytes taken."""
        self._check_open()
        if self._mode == "r":
            raise io.UnsupportedOperation("cmz.open: not open for writing")
        with memoryview(b) as view, view.cast("B") as flat:
            n = flat.nbytes
            step = self._feed.limit  # a large write is handed over in pieces: bounded memory
            for off in range(0, n, step):
                if not self._feed.put(flat[off:off + step]):
                    self._raise_error()
        self._pos += n
        return n

    def _raise_error(self):
        error = self._error or _cmz.Error("cmz.open: the compressing thread stopped")
        raise error

    # ---- both ----

    def _check_open(self):
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def fileno(self):
        """Raises io.UnsupportedOperation: a descriptor would give the compressed bytes."""
        raise io.UnsupportedOperation(_NO_FILENO)

    def isatty(self):
        """False: a .cmz file is never a terminal."""
        return False

    def flush(self):
        """Nothing to do: chunks are compressed as they fill, and the frame ends at close()."""
        self._check_open()

    def detach(self):
        """Raises io.UnsupportedOperation: there is no raw stream to hand over."""
        raise io.UnsupportedOperation("cmz.open: detach")

    @property
    def mode(self):
        """"rb", "wb", "xb" or "ab"."""
        return {"r": "rb", "w": "wb", "x": "xb", "a": "ab"}[self._mode]

    def _close_owned(self):
        owned, self._owned = self._owned, None
        if isinstance(owned, int):
            os.close(owned)
        elif owned is not None:
            owned.close()

    def close(self):
        """Ends the frame (write modes: waits for the last chunks, the index and the
        footer) and closes what cmz.open opened; a file object passed in stays open."""
        if self.closed:
            return
        try:
            if self._thread is not None:
                self._feed.finish()
                self._thread.join()
                self._thread = None
                if self._error is not None:
                    self._raise_error()
                if self._owned is None and hasattr(self._target, "flush"):
                    self._target.flush()
            if self._frames is not None:
                self._frames.close()
        finally:
            try:
                self._close_owned()
            finally:
                super().close()

    def __repr__(self):
        return f"<cmz.CmzFile name={self.name!r} mode={self.mode!r}>"
