package io.tapstack.forward;

import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.forward.ForwardCounters.Counter;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.tapstack.forward.GuestRig.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flows from a guest whose link loses and reorders frames (both ways, seeded) through the engine to an echo server on
 * the host's loopback: every byte arrives, in order, and comes back, for many seeds.
 */
class ForwardImpairedGuestProperties
{
    @Property(tries = 50, seed = "14")
    void everyByteArrivesInOrderThroughTheEngine(@ForAll @LongRange(min = 1, max = 1_000_000) final long seed,
        @ForAll @IntRange(min = 1, max = 3) final int flows, @ForAll @IntRange(min = 0, max = 200_000) final int bytes,
        @ForAll @IntRange(min = 0, max = 5) final int lossPercent, @ForAll @IntRange(min = 0, max = 10)
        final int reorderPercent) throws IOException
    {
        final Impairment impairment = Impairment.NONE.withLoss(lossPercent / 100.0)
            .withReorder(reorderPercent / 100.0, 2 * GuestRig.MS);
        try (HostEchoServer echo = new HostEchoServer();
            GuestRig rig = new GuestRig(c -> c.hostLoopbackAddress(GATEWAY).allow().add("127.0.0.0/8"),
                d -> new ImpairedDevice(d, seed, impairment), 1_000_000L, seed))
        {
            final List<GuestClient> clients = new ArrayList<>();
            for (int i = 0; i < flows; i++)
            {
                final byte[] payload = new byte[bytes / flows];
                new Random(seed + i).nextBytes(payload);
                final GuestClient client = new GuestClient(payload);
                client.connection = rig.guest.tcp().connect(GATEWAY, echo.port(), client, rig.now());
                clients.add(client);
            }
            assertTrue(rig.runUntil(() -> clients.stream().allMatch(GuestClient::done), 60_000),
                () -> "seed " + seed + ": flows unfinished; " + rig.engine.counters().snapshot());
            for (final GuestClient client : clients)
            {
                assertNull(client.reset, () -> "seed " + seed);
                assertArrayEquals(client.payload, client.received.toByteArray(), () -> "seed " + seed);
            }
            assertEquals((long)(bytes / flows) * flows, rig.engine.counters().get(Counter.TCP_BYTES_TO_HOST));
        }
    }
}
