package io.tapstack.tap;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TAP inside a network namespace of its own, the kernel's side of it up at {@code PREFIX.1/24}. The TAP is
 * created in the root namespace down and without an address (so nothing is sent there) and moved into the
 * namespace; {@link #close()} closes the TAP and deletes the namespace. {@link NamespacedStack} puts a stack on
 * it; tests that attach their own device use it directly. Callers skip first with
 * {@link TapInteropSupport#assumeTapInterop()}.
 */
final class NamespacedTap implements AutoCloseable
{
    final Netns netns;
    final TapDevice tap;
    final String tapName;
    final String kernelIp;

    private NamespacedTap(final Netns netns, final TapDevice tap, final String tapName, final String kernelIp)
    {
        this.netns = netns;
        this.tap = tap;
        this.tapName = tapName;
        this.kernelIp = kernelIp;
    }

    /**
     * @param prefix        the first three octets of the namespace's /24, "10.99.5"
     * @param txQueueLength the TAP's transmit queue in frames, 0 for the kernel's default
     */
    static NamespacedTap open(final String prefix, final int txQueueLength)
    {
        return open(prefix, txQueueLength, false);
    }

    /** As above; {@code offload} asks for the TAP's checksum and TSO4 offloads ({@link TapConfig#offload}). */
    static NamespacedTap open(final String prefix, final int txQueueLength, final boolean offload)
    {
        return open(new TapConfig().mtu(1500).txQueueLength(txQueueLength).offload(offload), "tst", prefix + ".1",
            new String[] {prefix + ".1/24"});
    }

    /**
     * A TUN (IFF_TUN | IFF_NO_PI) on a point-to-point link: the kernel's side {@code kernelIp} peer {@code stackIp}.
     *
     * @param txQueueLength the TUN's transmit queue in frames, 0 for the kernel's default
     */
    static NamespacedTap openTun(final String kernelIp, final String stackIp, final int txQueueLength)
    {
        return open(new TapConfig().mode(TapDevice.Mode.TUN).mtu(1500).txQueueLength(txQueueLength), "tsu", kernelIp,
            new String[] {kernelIp, "peer", stackIp});
    }

    private static NamespacedTap open(final TapConfig config, final String namePrefix, final String kernelIp,
        final String[] kernelAddress)
    {
        final Netns netns = Netns.create();
        TapDevice tap = null;
        try
        {
            final String tapName = namePrefix + TapInteropSupport.randomHex(8);
            // created in the root namespace down and without an address: nothing is sent there
            tap = TapDevice.open(config.name(tapName));
            final Cmd.Result move = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "set", tapName, "netns",
                netns.name);
            assertTrue(move.ok(), () -> "moving the device failed: " + move);
            netns.execOk("ip", "link", "set", "lo", "up");
            final String[] addr = new String[kernelAddress.length + 5];
            addr[0] = "ip";
            addr[1] = "addr";
            addr[2] = "add";
            System.arraycopy(kernelAddress, 0, addr, 3, kernelAddress.length);
            addr[addr.length - 2] = "dev";
            addr[addr.length - 1] = tapName;
            netns.execOk(addr);
            netns.execOk("ip", "link", "set", tapName, "up");
            return new NamespacedTap(netns, tap, tapName, kernelIp);
        }
        catch (final RuntimeException | Error ex)
        {
            if (tap != null)
            {
                tap.close();
            }
            netns.close();
            throw ex;
        }
    }

    @Override
    public void close()
    {
        try
        {
            tap.close();
        }
        finally
        {
            netns.close(); // deletes the TAP too
        }
    }
}
