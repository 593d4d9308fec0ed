package io.tapstack.tap;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few libc calls a TAP needs, bound once through JNA direct mapping ({@link Native#register}): every
 * argument is an {@code int} or a {@code long} (native addresses are passed as {@code long}), so a call on the
 * per-frame path allocates nothing and costs about as much as a JNI call.
 *
 * <p>errno is kept by JNA after each call (per thread) and is read with {@link Native#getLastError()} only
 * when a call has returned -1 and the reason matters.
 *
 * <p>Constants are Linux's generic ones (x86-64 and aarch64 agree on all of them).
 */
final class LibC
{
    // open(2) and fcntl(2)
    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;

    // eventfd(2)
    static final int EFD_NONBLOCK = O_NONBLOCK;
    static final int EFD_CLOEXEC = O_CLOEXEC;

    // socket(2)
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = O_CLOEXEC;

    // poll(2): struct pollfd { int fd; short events; short revents; }
    static final int POLLFD_SIZE = 8;
    static final int POLLFD_FD_OFFSET = 0;
    static final int POLLFD_EVENTS_OFFSET = 4;
    static final int POLLFD_REVENTS_OFFSET = 6;
    static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;

    // errno values used to explain failures
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;

    private LibC()
    {
    }

    static
    {
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    static native int open(String path, int flags);

    static native int close(int fd);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native int poll(long fds, long nfds, int timeoutMs);

    static native int ioctl(int fd, long request, long arg);

    static native int fcntl(int fd, int cmd, int arg);

    static native int eventfd(int initval, int flags);

    static native int socket(int domain, int type, int protocol);

    static native String strerror(int errnum);

    /** The errno of this thread's last failed call through this class. */
    static int errno()
    {
        return Native.getLastError();
    }

    /** "ENOENT (2): No such file or directory" style text for messages. */
    static String describe(final int errno)
    {
        String text;
        try
        {
            text = strerror(errno);
        }
        catch (final RuntimeException | Error ex)
        {
            text = "unknown error";
        }
        final String name = errnoName(errno);
        return (name != null ? name + " " : "") + "errno " + errno + " (" + text + ")";
    }

    static String errnoName(final int errno)
    {
        switch (errno)
        {
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case EINTR: return "EINTR";
            case ENXIO: return "ENXIO";
            case EAGAIN: return "EAGAIN";
            case EACCES: return "EACCES";
            case EBUSY: return "EBUSY";
            case ENODEV: return "ENODEV";
            case EINVAL: return "EINVAL";
            default: return null;
        }
    }
}
