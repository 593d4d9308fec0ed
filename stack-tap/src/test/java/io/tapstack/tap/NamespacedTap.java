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
        final Netns netns = Netns.create();
        TapDevice tap = null;
        try
        {
            final String tapName = "tst" + TapInteropSupport.randomHex(8);
            tap = TapDevice.open(new TapConfig().name(tapName).mtu(1500).txQueueLength(txQueueLength)
                .offload(offload));
            final Cmd.Result move = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "set", tapName, "netns",
                netns.name);
            assertTrue(move.ok(), () -> "moving the TAP failed: " + move);
            netns.execOk("ip", "link", "set", "lo", "up");
            netns.execOk("ip", "addr", "add", prefix + ".1/24", "dev", tapName);
            netns.execOk("ip", "link", "set", tapName, "up");
            return new NamespacedTap(netns, tap, tapName, prefix + ".1");
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
