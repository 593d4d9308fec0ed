package io.tapstack.forward;

import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapConfig;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapInteropSupport;
import io.tapstack.tap.TapInteropSupport.Netns;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest for the tests that run the forwarder's side on a real TAP: a network namespace the test creates, a TAP
 * opened in the root namespace and its kernel side moved into the guest's (loopback and the interface up, no
 * address: the guest configures it, by DHCP or by hand with {@link #staticAddress}). The test's side keeps the
 * TAP's descriptor and hands it to whatever runs a stack on it ({@link #takeTap()}), which then closes it.
 *
 * <p>Network safety: the TAP is never up in the root namespace, and every packet stays between the stack and the
 * namespace; {@link #close()} deletes the namespace (and closes the TAP unless it was taken). Callers skip first
 * with {@link TapInteropSupport#assumeTapInterop()}.
 */
public final class GuestNamespace implements AutoCloseable
{
    public final Netns netns;
    /** The guest's interface: the TAP's name, seen inside the namespace. */
    public final String interfaceName;
    private TapDevice tap;

    private GuestNamespace(final Netns netns, final String interfaceName, final TapDevice tap)
    {
        this.netns = netns;
        this.interfaceName = interfaceName;
        this.tap = tap;
    }

    /**
     * @param namePrefix three letters that say which test made the TAP ("fws"), followed by random hex
     * @param mtu        the TAP's MTU (the guest's interface keeps it)
     */
    public static GuestNamespace create(final String namePrefix, final int mtu)
    {
        return create(namePrefix, mtu, false);
    }

    /**
     * @param offload checksum and TSO4 offloads on the TAP, as {@code Forwarder} opens its own: TCP then comes in
     *                super-frames and may leave in TSO4 ones
     */
    public static GuestNamespace create(final String namePrefix, final int mtu, final boolean offload)
    {
        final Netns netns = Netns.create();
        TapDevice tap = null;
        try
        {
            final String name = namePrefix + TapInteropSupport.randomHex(8);
            tap = TapDevice.open(new TapConfig().name(name).mtu(mtu).offload(offload));
            final Cmd.Result move = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "set", name, "netns",
                netns.name);
            assertTrue(move.ok(), () -> "moving the TAP failed: " + move);
            netns.execOk("ip", "link", "set", "lo", "up");
            netns.execOk("ip", "link", "set", name, "up");
            return new GuestNamespace(netns, name, tap);
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

    /** The TAP, for the stack that runs on it; whoever takes it closes it. Once. */
    public TapDevice takeTap()
    {
        final TapDevice taken = tap;
        if (taken == null)
        {
            throw new IllegalStateException("the TAP was already taken");
        }
        tap = null;
        return taken;
    }

    /** Configures the guest by hand: {@code address/24} on its interface, the default route via {@code gateway}. */
    public GuestNamespace staticAddress(final String address, final String gateway)
    {
        netns.execOk("ip", "addr", "add", address + "/24", "dev", interfaceName);
        netns.execOk("ip", "route", "add", "default", "via", gateway);
        return this;
    }

    /** Runs a command in the guest's namespace. */
    public Cmd.Result exec(final Duration timeout, final String... command)
    {
        return netns.exec(timeout, command);
    }

    /** Runs a command in the guest's namespace and fails with its output unless it exits 0. */
    public Cmd.Result execOk(final String... command)
    {
        return netns.execOk(command);
    }

    @Override
    public void close()
    {
        try
        {
            if (tap != null)
            {
                tap.close();
                tap = null;
            }
        }
        finally
        {
            netns.close();
        }
    }
}
