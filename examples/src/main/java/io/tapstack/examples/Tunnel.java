package io.tapstack.examples;

import io.tapstack.dev.FrameHandler;
import io.tapstack.tap.TapConfig;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapFrameDevice;
import io.tapstack.tap.UdpTunnelDevice;
import io.tapstack.tap.WaitableFrameDevice;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code tunnel}: a frame relay with no stack in it, a minimal VPN: every frame the kernel sends on a TAP goes to
 * the peer in one UDP datagram, and every datagram from the peer is written to the TAP as a frame. The peer is a
 * stack run with {@code --udp-tunnel}, or another {@code tunnel} in front of another kernel. One thread per
 * direction, each blocking on its source; the frame is copied once, from the source's buffer into the
 * destination's slot.
 */
final class Tunnel
{
    private static final Logger LOG = LoggerFactory.getLogger("tunnel");
    /** How long a relay thread blocks before it looks whether it should stop (wakeup() ends it sooner). */
    private static final long IDLE_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int BURST = 64;

    private Tunnel()
    {
    }

    static int run(final String[] args) throws InterruptedException
    {
        final Options options = new Options("tunnel",
            "Bridges a kernel TAP to a UDP peer, one Ethernet frame per datagram, until Ctrl-C (no stack in it).\n"
                + "The peer is a stack run with --udp-tunnel, or another tunnel in front of another kernel.")
            .option("tap", "NAME", "TAP interface to open, created if missing (1.." + StackOptions.MAX_TAP_NAME
                + " characters)", null)
            .option("udp-tunnel", "LOCAL_PORT:HOST:PORT", "the UDP port to bind and the peer to send to", null)
            .option("mtu", "N", "link MTU in bytes, set on the TAP; datagrams are at most MTU + 14 bytes", "1500")
            .flag("verbose", "log at debug level");
        final String tapName;
        final UdpTunnelDevice.Endpoints endpoints;
        final int mtu;
        try
        {
            options.parse(args, 0);
            if (options.has("help"))
            {
                System.out.print(options.help());
                return 0;
            }
            tapName = StackOptions.tapName(options.get("tap"));
            endpoints = StackOptions.udpTunnel(options);
            mtu = StackOptions.mtu(options);
        }
        catch (final Options.UsageException ex)
        {
            System.err.println("tunnel: " + ex.getMessage());
            return 2;
        }
        final TapDevice tap;
        final UdpTunnelDevice udp;
        try
        {
            tap = TapDevice.open(new TapConfig().name(tapName).mtu(mtu).up(true));
        }
        catch (final RuntimeException ex)
        {
            System.err.println("tunnel: " + ex.getMessage());
            return 1;
        }
        try
        {
            udp = UdpTunnelDevice.open(endpoints.localPort(), endpoints.peer(), mtu);
        }
        catch (final RuntimeException ex)
        {
            tap.close();
            System.err.println("tunnel: " + ex.getMessage());
            return 1;
        }
        final TapFrameDevice tapDevice = new TapFrameDevice(tap, true);
        final Relay toPeer = new Relay(tapDevice, udp, "tunnel-tap-to-udp");
        final Relay toTap = new Relay(udp, tapDevice, "tunnel-udp-to-tap");
        toPeer.start();
        toTap.start();
        LOG.info("relaying frames between {} (MTU {}) and UDP port {} <-> {}:{}; Ctrl-C to stop", tap.name(), mtu,
            udp.localAddress().getPort(), endpoints.peer().getAddress().getHostAddress(), endpoints.peer().getPort());
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            try
            {
                toPeer.stop();
                toTap.stop();
                tapDevice.close();
                udp.close();
                System.out.println(tap.name() + ": " + tapDevice.framesReceived() + " frames read, "
                    + tapDevice.framesTransmitted() + " written, " + tapDevice.transmitErrors() + " refused");
                System.out.println(udp.describe());
                System.out.flush();
            }
            finally
            {
                done.countDown();
            }
        }, "shutdown"));
        done.await();
        return 0;
    }

    /** One direction: frames from {@code source} copied into {@code sink}, on a thread of its own. */
    private static final class Relay implements FrameHandler, Runnable
    {
        private final WaitableFrameDevice source;
        private final WaitableFrameDevice sink;
        private final Thread thread;
        private volatile boolean running = true;

        Relay(final WaitableFrameDevice source, final WaitableFrameDevice sink, final String name)
        {
            this.source = source;
            this.sink = sink;
            this.thread = new Thread(this, name);
        }

        void start()
        {
            thread.start();
        }

        void stop()
        {
            running = false;
            source.wakeup();
            try
            {
                thread.join(5_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void run()
        {
            try
            {
                while (running)
                {
                    if (source.receive(0, this, BURST) == 0)
                    {
                        source.awaitReadable(IDLE_NS);
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                if (running)
                {
                    LOG.error("{} stopped: {}", thread.getName(), ex.toString());
                }
            }
        }

        /** The sink refuses a frame too long for it (counted there) or has no room: the frame is dropped. */
        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final long nowNs)
        {
            final int slot = sink.claim(length);
            if (slot >= 0)
            {
                sink.transmitBuffer().putBytes(slot, buffer, offset, length);
                sink.commit(slot);
            }
        }
    }
}
