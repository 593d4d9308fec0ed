package io.tapstack.tcp;

import io.tapstack.time.Secrets;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 6528 §3 and RFC 6056 §3.3: the keys behind ISNs and ephemeral ports are secret. Two stacks with the same seed
 * (the default one, say) must not share them, or one's ISN for a 4-tuple predicts the other's; only a stack that asks
 * for repeatable secrets (the test kit, for exact replays) derives them from its seed.
 */
class TcpSecretsTest
{
    @Test
    void twoStacksWithTheSameSeedAnswerTheSameSynWithUnrelatedIsns()
    {
        // the same SYN (same 4-tuple) at the same instant to two stacks with the same seed and unpredictable secrets
        final int first = synAckIss(false);
        final int second = synAckIss(false);
        // the keyed hash makes equal ISNs a 2^-32 event
        assertNotEquals(first, second, "two instances with the same seed share their RFC 6528 key");
    }

    @Test
    void repeatableSecretsGiveTheSameIsnForTheSameSeed()
    {
        // what the test kit asks for, so that a failing simulation replays exactly; also shows the test above can fail
        assertEquals(synAckIss(true), synAckIss(true));
    }

    private static int synAckIss(final boolean repeatable)
    {
        final TcpScript t = TcpScript.withStackConfig(c -> c.seed(42).repeatableSecrets(repeatable));
        t.listen(4);
        return t.synToListener(1460).seq();
    }

    @Test
    void ephemeralPortsToOneDestinationFollowEachOtherAndStartWhereAKeyedHashSays()
    {
        // RFC 6056 §3.3.4: port = first + (F(addresses, remote port, key1) + table[G(...)]) mod count
        final TcpScript t = new TcpScript();
        final TcpConnection a = t.tcp.connect(PEER_IP, 80, null, t.s.clock.nanoTime());
        final TcpConnection b = t.tcp.connect(PEER_IP, 80, null, t.s.clock.nanoTime());
        assertNotNull(a);
        assertNotNull(b);
        assertEquals(EphemeralPorts.FIRST + (a.localPort() - EphemeralPorts.FIRST + 1) % EphemeralPorts.COUNT,
            b.localPort(), "the counter of this destination's bucket moves by one");
        assertTrue(a.localPort() >= EphemeralPorts.FIRST && a.localPort() <= 65535);
    }

    @Test
    void twoStacksWithTheSameSeedChooseUnrelatedEphemeralPorts()
    {
        // the first port towards each of four destinations: with unpredictable keys, two stacks agreeing on all four
        // is a 2^-56 event; with repeatable keys (same seed) they agree on every one
        assertNotEquals(firstPorts(false), firstPorts(false));
        assertEquals(firstPorts(true), firstPorts(true));
    }

    private static Set<Integer> firstPorts(final boolean repeatable)
    {
        final TcpScript t = TcpScript.withStackConfig(c -> c.seed(42).repeatableSecrets(repeatable));
        final Set<Integer> ports = new HashSet<>();
        for (int remotePort = 1; remotePort <= 4; remotePort++)
        {
            final TcpConnection c = t.tcp.connect(PEER_IP, remotePort, null, t.s.clock.nanoTime());
            ports.add(remotePort * 100_000 + c.localPort());
        }
        return ports;
    }

    @Test
    void aPortInUseIsSkippedAndNoneIsFoundWhenAllAreTaken()
    {
        final EphemeralPorts ports = new EphemeralPorts(new byte[16], new byte[16]);
        final int first = ports.choose(1, 2, 80, p -> true);
        final int skipped = ports.choose(1, 2, 80, p -> p != first + 1);
        assertEquals(first + 2, skipped, "the busy port after the first is skipped");
        assertEquals(-1, ports.choose(1, 2, 80, p -> false));
    }

    @Test
    void unpredictableSecretsDiffer()
    {
        assertNotEquals(java.util.Arrays.toString(Secrets.unpredictable().key(16)),
            java.util.Arrays.toString(Secrets.unpredictable().key(16)));
    }
}
