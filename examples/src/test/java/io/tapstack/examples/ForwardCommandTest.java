package io.tapstack.examples;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The forward command's options: mistakes are usage errors before anything opens. (Its run on a TAP is the README's
 * "forward" block, which CI runs as a reader pastes it, and stack-forward's ForwardNamespaceTest and
 * ForwardServicesNamespaceTest.)
 */
class ForwardCommandTest
{
    @Test
    void mistakesAreUsageErrors()
    {
        assertEquals(2, Main.run(new String[] {"forward"}), "--tap is required");
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--gateway", "10.0.2.2"}), "no prefix");
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--allow", "10.0.0.0/33"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--deny", "nowhere"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--host-loopback", "10.0.2"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--max-tcp-flows", "0"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--dhcp", "10.0.2.15"}), "no range");
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--dhcp", "10.0.3.15-10.0.3.30"}),
            "off the gateway's subnet");
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--dhcp", "10.0.2.1-10.0.2.30"}),
            "the pool holds the gateway");
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "-p", "8080"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "-p", "8080:80/sctp"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--publish", "0.0.0.0:70000:80"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--control", "10.0.2.2:7070"}),
            "the control API listens on loopback only");
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--control", "127.0.0.1"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--guest", "10.0.2"}));
        assertEquals(2, Main.run(new String[] {"forward", "--tap", "fwd0", "--max-port-forwards", "0"}));
        assertEquals(0, Main.run(new String[] {"forward", "--help"}));
    }
}
