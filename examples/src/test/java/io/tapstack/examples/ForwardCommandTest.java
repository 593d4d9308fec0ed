package io.tapstack.examples;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The forward command's options: mistakes are usage errors before anything opens. (Its run on a TAP is the README's
 * "forward" block, which CI runs as a reader pastes it, and stack-forward's ForwardNamespaceTest.)
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
        assertEquals(0, Main.run(new String[] {"forward", "--help"}));
    }
}
