package io.tapstack.tap;

import io.tapstack.wire.MacAddress;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Linux TAP (or TUN) interface, opened through {@code /dev/net/tun} (see the kernel's
 * Documentation/networking/tuntap.rst): the file descriptor frames are read from and written to, plus the
 * interface settings the stack cares about (MTU, link up, transmit queue length, the kernel side's MAC).
 *
 * <p>The descriptor is non-blocking. {@link #poll} waits on it together with an eventfd, so that
 * {@link #wakeup()} or {@link #close()} from another thread returns a blocked poll at once: a reader never
 * holds up shutdown.
 *
 * <p>Threads: {@link #read} and {@link #poll} belong to one reader thread; {@link #write} to one writer thread
 * (it may be the same); {@link #wakeup()} and the getters are safe from any thread; the configuration
 * setters are synchronized. Stop the reader and writer before {@link #close()}: a closed descriptor number
 * can be reused by the process.
 *
 * <p>The interface settings go through a short-lived AF_INET datagram socket of the calling thread's network
 * namespace. After the interface has been moved to another namespace ({@code ip link set X netns N}) its
 * descriptor keeps working, but the setters only work from a thread inside that namespace.
 */
public final class TapDevice implements AutoCloseable
{
    /** Ethernet frames (TAP) or bare IP packets (TUN). */
    public enum Mode
    {
        TAP,
        TUN
    }

    // include/uapi/linux/if_tun.h
    static final int IFF_TUN = 0x0001;
    static final int IFF_TAP = 0x0002;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_MULTI_QUEUE = 0x0100;
    static final int IFF_VNET_HDR = 0x4000;
    /** _IOW('T', 202, int) */
    static final long TUNSETIFF = 0x400454caL;
    /** _IOR('T', 207, unsigned int): the IFF_* flags this kernel's tun supports. */
    static final long TUNGETFEATURES = 0x800454cfL;
    /** _IOW('T', 208, unsigned int): the TUN_F_* offloads we can take (the argument is the value itself). */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    /** _IOW('T', 216, int): the size of the virtio-net header in front of each frame. */
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    /** TUNSETOFFLOAD: we take frames with a partial checksum (and our checksums may be partial). */
    public static final int TUN_F_CSUM = 0x01;
    /** TUNSETOFFLOAD: we take TCP/IPv4 super-frames (the kernel's GSO/GRO frames; and we may send them). */
    public static final int TUN_F_TSO4 = 0x02;

    // include/uapi/linux/sockios.h and if.h
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCSIFMTU = 0x8922;
    static final long SIOCGIFHWADDR = 0x8927;
    static final long SIOCGIFTXQLEN = 0x8942;
    static final long SIOCSIFTXQLEN = 0x8943;
    static final int IFF_UP = 0x1;

    private static final Logger LOG = LoggerFactory.getLogger(TapDevice.class);
    private static final int TAP_POLLFD = 0;
    private static final int EVENT_POLLFD = LibC.POLLFD_SIZE;

    private final String name;
    private final Mode mode;
    private final boolean packetInformation;
    private final int fd;
    private final int eventFd;
    private final long hardwareAddress;
    private volatile int mtu;
    /** Each frame read or written carries a virtio-net header in front (IFF_VNET_HDR, 10 bytes). */
    private final boolean vnetHeader;
    /** The TUN_F_* offloads in effect (TUNSETOFFLOAD succeeded), 0 without. */
    private final int offloads;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Two pollfds: the TAP and the eventfd. Used by the reader thread only. */
    private final UnsafeBuffer pollFds = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
    /** Where the reader drains the eventfd's counter. */
    private final UnsafeBuffer eventDrain = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
    /** The constant 1 that {@link #wakeup()} adds to the eventfd; never written after construction. */
    private final UnsafeBuffer eventOne = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
    /** struct ifreq for the configuration ioctls; guarded by this. */
    private final UnsafeBuffer ifreq = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));

    private TapDevice(final TapConfig config)
    {
        this.mode = config.mode();
        this.packetInformation = config.packetInformation();
        final String path = config.tunPath();
        final int tunFd = LibC.open(path, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (tunFd < 0)
        {
            throw openFailure(path, LibC.errno());
        }
        int evFd = -1;
        try
        {
            final boolean wantOffloads = config.offload() && mode == Mode.TAP && !packetInformation
                && (features(tunFd) & IFF_VNET_HDR) != 0;
            Ifreq.clear(ifreq, 0, config.name());
            Ifreq.flags(ifreq, 0, wantOffloads ? config.tunFlags() | IFF_VNET_HDR : config.tunFlags());
            if (LibC.ioctl(tunFd, TUNSETIFF, ifreq.addressOffset()) < 0)
            {
                throw setIffFailure(config, LibC.errno());
            }
            this.name = Ifreq.name(ifreq, 0);
            this.vnetHeader = wantOffloads;
            this.offloads = wantOffloads ? setOffloads(tunFd, name) : 0;
            // the fd was opened O_NONBLOCK already; make sure, as attach paths differ across kernels
            final int fl = LibC.fcntl(tunFd, LibC.F_GETFL, 0);
            if (fl < 0 || ((fl & LibC.O_NONBLOCK) == 0 && LibC.fcntl(tunFd, LibC.F_SETFL, fl | LibC.O_NONBLOCK) < 0))
            {
                final int errno = LibC.errno();
                throw new TapException("cannot make " + name + " non-blocking (fcntl): " + LibC.describe(errno), errno);
            }
            evFd = LibC.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
            if (evFd < 0)
            {
                final int errno = LibC.errno();
                throw new TapException("cannot create the eventfd that wakes the reader: " + LibC.describe(errno),
                    errno);
            }
            this.fd = tunFd;
            this.eventFd = evFd;
            eventOne.putLong(0, 1L, ByteOrder.nativeOrder());
            pollFds.putInt(TAP_POLLFD + LibC.POLLFD_FD_OFFSET, tunFd, ByteOrder.nativeOrder());
            pollFds.putShort(TAP_POLLFD + LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN, ByteOrder.nativeOrder());
            pollFds.putInt(EVENT_POLLFD + LibC.POLLFD_FD_OFFSET, evFd, ByteOrder.nativeOrder());
            pollFds.putShort(EVENT_POLLFD + LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN, ByteOrder.nativeOrder());

            // change only what differs: a TAP that root made for this user (ip tuntap add ... user U) and set up
            // already opens without privileges, and setting a value it has would fail with EPERM
            int current = getInt(SIOCGIFMTU, "SIOCGIFMTU");
            if (config.mtu() != 0 && config.mtu() != current)
            {
                setInt(SIOCSIFMTU, "SIOCSIFMTU (MTU " + config.mtu() + ")", config.mtu());
                current = getInt(SIOCGIFMTU, "SIOCGIFMTU");
            }
            this.mtu = current;
            if (config.txQueueLength() != 0
                && config.txQueueLength() > getInt(SIOCGIFTXQLEN, "SIOCGIFTXQLEN"))
            {
                raiseTxQueueLength(config.txQueueLength());
            }
            this.hardwareAddress = mode == Mode.TAP ? readHardwareAddress() : 0L;
            if (config.up())
            {
                up(true);
            }
        }
        catch (final RuntimeException ex)
        {
            if (evFd >= 0)
            {
                LibC.close(evFd);
            }
            LibC.close(tunFd);
            throw ex;
        }
        LOG.info("opened {} {} (fd {}, mtu {}{}{})", mode, name, fd, mtu,
            mode == Mode.TAP ? ", kernel side " + MacAddress.toString(hardwareAddress) : "",
            vnetHeader ? ", offloads " + describeOffloads(offloads) : "");
    }

    /** TUNGETFEATURES: the IFF_* flags this kernel supports, 0 when it cannot say (a kernel before 2.6.27). */
    private static int features(final int tunFd)
    {
        final UnsafeBuffer arg = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
        return LibC.ioctl(tunFd, TUNGETFEATURES, arg.addressOffset()) < 0 ? 0 : arg.getInt(0, ByteOrder.nativeOrder());
    }

    /**
     * TUNSETVNETHDRSZ (10, the header without num_buffers) and TUNSETOFFLOAD (checksum, TSO4). The header is
     * there from TUNSETIFF on; without the offloads it only says "ordinary frame" both ways.
     *
     * @return the TUN_F_* offloads in effect
     */
    private static int setOffloads(final int tunFd, final String name)
    {
        final UnsafeBuffer arg = new UnsafeBuffer(BufferUtil.allocateDirectAligned(64, 64));
        arg.putInt(0, io.tapstack.wire.VirtioNetHeader.LENGTH, ByteOrder.nativeOrder());
        if (LibC.ioctl(tunFd, TUNSETVNETHDRSZ, arg.addressOffset()) < 0)
        {
            final int errno = LibC.errno();
            throw new TapException("TUNSETVNETHDRSZ on " + name + " failed: " + LibC.describe(errno), errno);
        }
        final int wanted = TUN_F_CSUM | TUN_F_TSO4;
        if (LibC.ioctl(tunFd, TUNSETOFFLOAD, wanted) < 0)
        {
            LOG.warn("{}: TUNSETOFFLOAD (checksum, TSO4) failed: {}; frames go one by one with full checksums", name,
                LibC.describe(LibC.errno()));
            return 0;
        }
        return wanted;
    }

    private static String describeOffloads(final int offloads)
    {
        return offloads == 0 ? "none (virtio-net header only)"
            : ((offloads & TUN_F_CSUM) != 0 ? "checksum" : "") + ((offloads & TUN_F_TSO4) != 0 ? ", TSO4" : "");
    }

    /**
     * A longer transmit queue is tuning, not a requirement (a full queue drops instead of pushing back): without
     * the privilege to raise it, say so and go on with the kernel's.
     */
    private void raiseTxQueueLength(final int length)
    {
        try
        {
            setInt(SIOCSIFTXQLEN, "SIOCSIFTXQLEN (txqueuelen " + length + ")", length);
        }
        catch (final TapException ex)
        {
            if (ex.errno() != LibC.EPERM && ex.errno() != LibC.EACCES)
            {
                throw ex;
            }
            LOG.warn("cannot raise the txqueuelen of {} to {} without CAP_NET_ADMIN: the kernel's default stays, "
                + "and a burst that overflows it is dropped", name, length);
        }
    }

    /** Creates the interface described by {@code config}, or attaches to it if it exists. */
    public static TapDevice open(final TapConfig config)
    {
        return new TapDevice(config);
    }

    /** Creates or attaches to the TAP interface {@code name} (IFF_TAP | IFF_NO_PI), leaving its settings alone. */
    public static TapDevice open(final String name)
    {
        return new TapDevice(new TapConfig().name(name));
    }

    static TapException openFailure(final String path, final int errno)
    {
        final String what = "cannot open " + path + ": " + LibC.describe(errno);
        switch (errno)
        {
            case LibC.ENOENT:
            case LibC.ENODEV:
            case LibC.ENXIO:
                return new TapException(what + ". The TUN/TAP driver is not available: load the tun module "
                    + "(modprobe tun) or run in a container started with /dev/net/tun "
                    + "(e.g. docker run --device /dev/net/tun --cap-add NET_ADMIN)", errno);
            case LibC.EACCES:
            case LibC.EPERM:
                return new TapException(what + ". Permission denied: run as root, or have root make a TAP for "
                    + "this user once ('ip tuntap add NAME mode tap user USER' and 'ip link set NAME up') and open "
                    + "that; the user needs read/write access to " + path, errno);
            default:
                return new TapException(what, errno);
        }
    }

    static TapException setIffFailure(final TapConfig config, final int errno)
    {
        final String ifName = config.name().isEmpty() ? "a new interface" : "'" + config.name() + "'";
        final String what = "TUNSETIFF for " + ifName + " (" + config.mode() + ") failed: " + LibC.describe(errno);
        switch (errno)
        {
            case LibC.EPERM:
            case LibC.EACCES:
                return new TapException(what + ". Creating or attaching a TAP needs CAP_NET_ADMIN: run as root or "
                    + "grant CAP_NET_ADMIN (or create a persistent device owned by this user with "
                    + "'ip tuntap add NAME mode tap user USER')", errno);
            case LibC.EBUSY:
                return new TapException(what + ". The interface is already attached to another process "
                    + "(or exists with other queue flags): close that process or pick another name", errno);
            case LibC.EINVAL:
                return new TapException(what + ". The name exists as another kind of interface or another mode "
                    + "(TAP vs TUN): pick another name or delete it with 'ip link del NAME'", errno);
            default:
                return new TapException(what, errno);
        }
    }

    /** The interface name the kernel gave (the requested one, or one it picked). */
    public String name()
    {
        return name;
    }

    public Mode mode()
    {
        return mode;
    }

    /**
     * Whether each frame read or written carries a 10-byte virtio-net header in front ({@code IFF_VNET_HDR}, from
     * {@link TapConfig#offload}): {@link TapFrameDevice} reads and writes it.
     */
    public boolean vnetHeader()
    {
        return vnetHeader;
    }

    /**
     * The offloads in effect ({@link #TUN_F_CSUM}, {@link #TUN_F_TSO4}): the kernel may hand us super-frames and
     * partial checksums, and takes ours. 0 without {@link #vnetHeader()} or when the kernel refused them.
     */
    public int offloads()
    {
        return offloads;
    }

    /** Whether each frame carries the 4-byte {@code struct tun_pi} prefix. */
    public boolean packetInformation()
    {
        return packetInformation;
    }

    /** The descriptor frames are read from and written to. */
    public int fd()
    {
        return fd;
    }

    /** The MTU last set or read by this object (not re-read: the interface may be in another namespace). */
    public int mtu()
    {
        return mtu;
    }

    /**
     * The largest frame read or written: the MTU and a 14-byte Ethernet header on a TAP, the MTU alone on a TUN
     * (without packet information, each frame is one bare IP packet).
     */
    public int maxFrameLength()
    {
        return mode == Mode.TAP ? mtu + 14 : mtu;
    }

    /**
     * The kernel side's MAC (SIOCGIFHWADDR at open): the source of frames the kernel sends into the TAP. The
     * stack on our side needs a different one. 0 for TUN.
     */
    public long hardwareAddress()
    {
        return hardwareAddress;
    }

    /** Sets the interface MTU (SIOCSIFMTU). */
    public synchronized void mtu(final int mtu)
    {
        if (mtu < io.tapstack.StackConfig.MIN_MTU || mtu > io.tapstack.StackConfig.MAX_MTU)
        {
            throw new IllegalArgumentException(io.tapstack.StackConfig.MTU_RULE + ", not " + mtu);
        }
        setInt(SIOCSIFMTU, "SIOCSIFMTU (MTU " + mtu + ")", mtu);
        this.mtu = mtu;
    }

    /** Reads the interface MTU from the kernel (SIOCGIFMTU). */
    public synchronized int readMtu()
    {
        final int value = getInt(SIOCGIFMTU, "SIOCGIFMTU");
        this.mtu = value;
        return value;
    }

    /** Sets the transmit queue length, frames the kernel holds for us before dropping (SIOCSIFTXQLEN). */
    public synchronized void txQueueLength(final int length)
    {
        setInt(SIOCSIFTXQLEN, "SIOCSIFTXQLEN (txqueuelen " + length + ")", length);
    }

    /** Reads the transmit queue length (SIOCGIFTXQLEN). */
    public synchronized int txQueueLength()
    {
        return getInt(SIOCGIFTXQLEN, "SIOCGIFTXQLEN");
    }

    /** Brings the link up or down (SIOCGIFFLAGS then SIOCSIFFLAGS with IFF_UP set or cleared). */
    public synchronized void up(final boolean up)
    {
        final int sock = controlSocket();
        try
        {
            prepareIfreq();
            ioctl(sock, SIOCGIFFLAGS, "SIOCGIFFLAGS");
            final int flags = Ifreq.flags(ifreq, 0);
            if (((flags & IFF_UP) != 0) == up)
            {
                return; // already so: nothing to change (and no privilege needed)
            }
            Ifreq.flags(ifreq, 0, up ? flags | IFF_UP : flags & ~IFF_UP);
            ioctl(sock, SIOCSIFFLAGS, up ? "SIOCSIFFLAGS (IFF_UP)" : "SIOCSIFFLAGS (clear IFF_UP)");
            LOG.debug("{} link {}", name, up ? "up" : "down");
        }
        finally
        {
            LibC.close(sock);
        }
    }

    /** Whether IFF_UP is set (SIOCGIFFLAGS). */
    public synchronized boolean isUp()
    {
        final int sock = controlSocket();
        try
        {
            prepareIfreq();
            ioctl(sock, SIOCGIFFLAGS, "SIOCGIFFLAGS");
            return (Ifreq.flags(ifreq, 0) & IFF_UP) != 0;
        }
        finally
        {
            LibC.close(sock);
        }
    }

    /** Reads the kernel side's MAC now (SIOCGIFHWADDR). */
    public synchronized long readHardwareAddress()
    {
        final int sock = controlSocket();
        try
        {
            prepareIfreq();
            ioctl(sock, SIOCGIFHWADDR, "SIOCGIFHWADDR");
            return Ifreq.hwAddress(ifreq, 0);
        }
        finally
        {
            LibC.close(sock);
        }
    }

    /**
     * Reads one frame into native memory. Non-blocking.
     *
     * @return the frame length, or -1 when nothing is queued (or the read failed: see {@link #lastErrno()})
     */
    public int read(final long address, final int length)
    {
        return (int)LibC.read(fd, address, length);
    }

    /**
     * Writes one frame from native memory.
     *
     * @return the bytes written, or -1 when the kernel refused it (EIO while the link is down, say: see
     *         {@link #lastErrno()})
     */
    public int write(final long address, final int length)
    {
        return (int)LibC.write(fd, address, length);
    }

    /** errno of the calling thread's last failed {@link #read}, {@link #write} or {@link #poll}. */
    public static int lastErrno()
    {
        return LibC.errno();
    }

    /** errno with its name and text, for messages. */
    public static String describeErrno(final int errno)
    {
        return LibC.describe(errno);
    }

    /**
     * Waits until a frame can be read, {@link #wakeup()} is called, or {@code timeoutMs} passes (0 returns at
     * once, negative waits without limit). Reader thread only. Allocates nothing.
     *
     * @return true when a frame can be read
     * @throws TapException when the interface has gone (deleted, or its namespace deleted)
     */
    public boolean poll(final int timeoutMs)
    {
        final int ready = LibC.poll(pollFds.addressOffset(), 2, timeoutMs);
        if (ready <= 0)
        {
            if (ready < 0)
            {
                final int errno = LibC.errno();
                if (errno != LibC.EINTR)
                {
                    throw new TapException("poll on " + name + " failed: " + LibC.describe(errno), errno);
                }
            }
            return false;
        }
        if (pollFds.getShort(EVENT_POLLFD + LibC.POLLFD_REVENTS_OFFSET, ByteOrder.nativeOrder()) != 0)
        {
            // reset the counter so the next poll blocks again; a failure here only means it was already 0
            LibC.read(eventFd, eventDrain.addressOffset(), 8);
        }
        final short revents = pollFds.getShort(TAP_POLLFD + LibC.POLLFD_REVENTS_OFFSET, ByteOrder.nativeOrder());
        if ((revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0)
        {
            throw new TapException(name + " has gone (poll revents 0x" + Integer.toHexString(revents & 0xFFFF)
                + "): the interface or its network namespace was deleted, or the device was closed", 0);
        }
        return (revents & LibC.POLLIN) != 0;
    }

    /**
     * As {@link #poll(int)} with a timeout in nanoseconds, rounded up to whole milliseconds (poll's unit):
     * 0 or less returns at once, {@code Long.MAX_VALUE} waits without limit.
     */
    public boolean pollNs(final long timeoutNs)
    {
        return poll(toPollTimeoutMs(timeoutNs));
    }

    static int toPollTimeoutMs(final long timeoutNs)
    {
        if (timeoutNs <= 0)
        {
            return 0;
        }
        if (timeoutNs == Long.MAX_VALUE)
        {
            return -1;
        }
        final long nsPerMs = TimeUnit.MILLISECONDS.toNanos(1);
        final long ms = timeoutNs / nsPerMs + (timeoutNs % nsPerMs != 0 ? 1 : 0);
        return (int)Math.min(ms, Integer.MAX_VALUE);
    }

    /** Makes a blocked {@link #poll} return now, or the next one return at once. Any thread. */
    public void wakeup()
    {
        if (!closed.get())
        {
            LibC.write(eventFd, eventOne.addressOffset(), 8);
        }
    }

    public boolean isClosed()
    {
        return closed.get();
    }

    /**
     * Wakes any poller, then closes the descriptors. A TAP created by this process (not persistent)
     * disappears with its last descriptor.
     */
    @Override
    public void close()
    {
        if (closed.compareAndSet(false, true))
        {
            LibC.write(eventFd, eventOne.addressOffset(), 8);
            LibC.close(fd);
            LibC.close(eventFd);
            LOG.info("closed {} {}", mode, name);
        }
    }

    @Override
    public String toString()
    {
        return "TapDevice{" + name + ", " + mode + ", fd " + fd + ", mtu " + mtu
            + (vnetHeader ? ", offloads " + describeOffloads(offloads) : "") + "}";
    }

    private int controlSocket()
    {
        final int sock = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (sock < 0)
        {
            final int errno = LibC.errno();
            throw new TapException("cannot open the AF_INET control socket to configure " + name + ": "
                + LibC.describe(errno), errno);
        }
        return sock;
    }

    private void prepareIfreq()
    {
        Ifreq.clear(ifreq, 0, name);
    }

    private void ioctl(final int sock, final long request, final String what)
    {
        if (LibC.ioctl(sock, request, ifreq.addressOffset()) < 0)
        {
            final int errno = LibC.errno();
            String hint = "";
            if (errno == LibC.ENODEV)
            {
                hint = ". No such interface in this thread's network namespace (was it moved to another one?)";
            }
            else if (errno == LibC.EPERM || errno == LibC.EACCES)
            {
                hint = ". Run as root, or have root set the interface up (MTU, txqueuelen, up) as this command "
                    + "wants it: then nothing needs changing";
            }
            throw new TapException(what + " on " + name + " failed: " + LibC.describe(errno) + hint, errno);
        }
    }

    private synchronized void setInt(final long request, final String what, final int value)
    {
        final int sock = controlSocket();
        try
        {
            prepareIfreq();
            Ifreq.intValue(ifreq, 0, value);
            ioctl(sock, request, what);
            LOG.debug("{}: {}", name, what);
        }
        finally
        {
            LibC.close(sock);
        }
    }

    private synchronized int getInt(final long request, final String what)
    {
        final int sock = controlSocket();
        try
        {
            prepareIfreq();
            ioctl(sock, request, what);
            return Ifreq.intValue(ifreq, 0);
        }
        finally
        {
            LibC.close(sock);
        }
    }
}
