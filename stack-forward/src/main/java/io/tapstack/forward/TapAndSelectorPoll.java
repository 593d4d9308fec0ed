package io.tapstack.forward;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Selector;

/**
 * Lets the engine's thread block in one poll(2) on both its TAP and its java.nio selector's epoll descriptor (which
 * is readable while a registered socket is ready or the selector was woken), so that a TAP frame wakes it directly:
 * no {@link TapWatcher} thread, no hand-off (its unpark, its poll, the selector's eventfd) per block. The epoll
 * descriptor is a private field of the JDK's Linux selector, reachable only when java.base opens {@code sun.nio.ch}
 * to this code ({@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}, or {@code Add-Opens} in an executable jar's
 * manifest, as the examples jar has); without it {@link #open} returns null and the loop keeps its watcher.
 *
 * <p>The selector applies interest changes lazily, at its next select: the caller selects (without blocking) just
 * before {@link #await}, so the epoll set is current. Engine thread only; allocates nothing per call.
 */
final class TapAndSelectorPoll
{
    private static final Logger LOG = LoggerFactory.getLogger(TapAndSelectorPoll.class);
    // struct pollfd { int fd; short events; short revents; }
    private static final int POLLFD_SIZE = 8;
    private static final int EVENTS = 4;
    private static final int REVENTS = 6;
    private static final short POLLIN = 0x1;
    private static final int TAP = 0;
    private static final int SELECTOR = POLLFD_SIZE;

    private static boolean bound;

    private final UnsafeBuffer fds = new UnsafeBuffer(ByteBuffer.allocateDirect(2 * POLLFD_SIZE)
        .order(ByteOrder.nativeOrder()));

    private TapAndSelectorPoll(final int tapFd, final int epollFd)
    {
        fds.putInt(TAP, tapFd, ByteOrder.nativeOrder());
        fds.putShort(TAP + EVENTS, POLLIN, ByteOrder.nativeOrder());
        fds.putInt(SELECTOR, epollFd, ByteOrder.nativeOrder());
        fds.putShort(SELECTOR + EVENTS, POLLIN, ByteOrder.nativeOrder());
    }

    /** A poller for {@code tapFd} and {@code selector}, or null when the selector's descriptor is out of reach. */
    static synchronized TapAndSelectorPoll open(final int tapFd, final Selector selector)
    {
        final int epollFd = epollDescriptor(selector);
        if (epollFd < 0)
        {
            return null;
        }
        try
        {
            if (!bound)
            {
                Native.register(TapAndSelectorPoll.class, Platform.C_LIBRARY_NAME);
                bound = true;
            }
        }
        catch (final RuntimeException | LinkageError ex)
        {
            LOG.debug("poll(2) through JNA: {}", ex.toString());
            return null;
        }
        return new TapAndSelectorPoll(tapFd, epollFd);
    }

    /** The epoll descriptor of the JDK's Linux selector, or -1 (another selector, or sun.nio.ch not opened). */
    static int epollDescriptor(final Selector selector)
    {
        try
        {
            final Field field = selector.getClass().getDeclaredField("epfd");
            field.setAccessible(true);
            return field.getInt(selector);
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            LOG.debug("the selector's epoll descriptor is out of reach ({}): a TapWatcher wakes the engine",
                ex.toString());
            return -1;
        }
    }

    /**
     * Blocks until a TAP frame can be read, the selector has a ready key or was woken, or {@code timeoutMs} passes.
     *
     * @return true when the TAP was readable
     */
    boolean await(final int timeoutMs)
    {
        fds.putShort(TAP + REVENTS, (short)0, ByteOrder.nativeOrder());
        fds.putShort(SELECTOR + REVENTS, (short)0, ByteOrder.nativeOrder());
        final int ready = poll(fds.addressOffset(), 2, timeoutMs);
        // an error (EINTR, say) is a spurious wake-up: the loop runs a cycle and blocks again
        return ready > 0 && fds.getShort(TAP + REVENTS, ByteOrder.nativeOrder()) != 0;
    }

    private static native int poll(long fds, long nfds, int timeoutMs);
}
