package io.tapstack.tap;

/**
 * How to open a TAP or TUN device: fluent setters, safe defaults. Zero for {@link #mtu} or
 * {@link #txQueueLength} leaves the kernel's value alone.
 */
public final class TapConfig
{
    /** The control device that creates and attaches TAP/TUN interfaces. */
    public static final String DEFAULT_TUN_PATH = "/dev/net/tun";

    private String name = "";
    private TapDevice.Mode mode = TapDevice.Mode.TAP;
    private boolean packetInformation = false;
    private int mtu = 0;
    private int txQueueLength = 0;
    private boolean up = false;
    private String tunPath = DEFAULT_TUN_PATH;
    private boolean offload = false;

    /**
     * Interface name (at most 15 bytes) to create, or to attach to when it already exists; empty lets the
     * kernel pick one ({@code tap0}, {@code tun0}, ...).
     */
    public TapConfig name(final String name)
    {
        Ifreq.checkName(name);
        this.name = name;
        return this;
    }

    public String name()
    {
        return name;
    }

    /** TAP carries Ethernet frames (what the stack needs); TUN carries bare IP packets. */
    public TapConfig mode(final TapDevice.Mode mode)
    {
        this.mode = mode;
        return this;
    }

    public TapDevice.Mode mode()
    {
        return mode;
    }

    /**
     * When true the kernel prefixes each frame with the 4-byte {@code struct tun_pi} (flags, protocol); the
     * default (IFF_NO_PI) gives bare frames.
     */
    public TapConfig packetInformation(final boolean packetInformation)
    {
        this.packetInformation = packetInformation;
        return this;
    }

    public boolean packetInformation()
    {
        return packetInformation;
    }

    /** Interface MTU to set (SIOCSIFMTU) once open: as {@code StackConfig.MTU_RULE} says, or 0 to keep the kernel's. */
    public TapConfig mtu(final int mtu)
    {
        if (mtu != 0 && (mtu < io.tapstack.StackConfig.MIN_MTU || mtu > io.tapstack.StackConfig.MAX_MTU))
        {
            throw new IllegalArgumentException(io.tapstack.StackConfig.MTU_RULE + ", or 0 to keep the kernel's, not "
                + mtu);
        }
        this.mtu = mtu;
        return this;
    }

    public int mtu()
    {
        return mtu;
    }

    /**
     * Frames the kernel queues for us before it drops (SIOCSIFTXQLEN), or 0 to keep its default (1000). A
     * TAP drops rather than pushing back when this is full, so raise it for bulk transfers.
     */
    public TapConfig txQueueLength(final int txQueueLength)
    {
        if (txQueueLength < 0)
        {
            throw new IllegalArgumentException("txQueueLength must be >= 0: " + txQueueLength);
        }
        this.txQueueLength = txQueueLength;
        return this;
    }

    public int txQueueLength()
    {
        return txQueueLength;
    }

    /** Bring the link up (IFF_UP) once open. Off by default: the caller may first move it to a namespace. */
    public TapConfig up(final boolean up)
    {
        this.up = up;
        return this;
    }

    public boolean up()
    {
        return up;
    }

    /**
     * Ask for checksum and TCP segmentation offloads (IFF_VNET_HDR, TUNSETVNETHDRSZ, TUNSETOFFLOAD with TUN_F_CSUM
     * and TUN_F_TSO4) where the kernel supports them: each frame then carries a virtio-net header, which
     * {@link TapFrameDevice} reads and writes (the kernel hands it 64 KiB TCP super-frames and partial checksums,
     * and cuts the super-frames it sends). A TAP only, without packet information; ignored otherwise. Off by
     * default here, so that a {@link TapDevice} read by hand gives bare frames; {@link TapStack} asks for it unless
     * told not to.
     */
    public TapConfig offload(final boolean offload)
    {
        this.offload = offload;
        return this;
    }

    public boolean offload()
    {
        return offload;
    }

    /** Path of the control device; only tests change it. */
    public TapConfig tunPath(final String tunPath)
    {
        this.tunPath = tunPath;
        return this;
    }

    public String tunPath()
    {
        return tunPath;
    }

    /** The IFF_* flags for TUNSETIFF. */
    public short tunFlags()
    {
        int flags = mode == TapDevice.Mode.TAP ? TapDevice.IFF_TAP : TapDevice.IFF_TUN;
        if (!packetInformation)
        {
            flags |= TapDevice.IFF_NO_PI;
        }
        return (short)flags;
    }

    @Override
    public String toString()
    {
        return "TapConfig{name='" + name + "', mode=" + mode + ", packetInformation=" + packetInformation +
            ", mtu=" + mtu + ", txQueueLength=" + txQueueLength + ", up=" + up + ", offload=" + offload
            + ", tunPath='" + tunPath + "'}";
    }
}
