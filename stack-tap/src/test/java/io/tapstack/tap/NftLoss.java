package io.tapstack.tap;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random loss on a router namespace's forwarding path with nftables ({@code numgen random mod 100 < P drop} in
 * the forward hook, one counted rule per direction through one interface): a lossy link in the middle of the
 * path. Forwarded, not local, on purpose: a packet that a rule in the sender's own output path drops is an
 * error returned to the sending kernel TCP, which sends the segment again as if it had never left (no loss
 * signal, no retransmission), so only the receiving direction of a namespace's own sockets would see loss.
 */
final class NftLoss
{
    private static final String TABLE = "tapstack_loss";
    private static final Pattern PACKETS = Pattern.compile("packets (\\d+)");

    private NftLoss()
    {
    }

    /**
     * Replaces any loss rules of {@code router} with {@code percent}% of the packets it forwards in from
     * {@code ifname} and {@code percent}% of those it forwards out through it.
     */
    static void install(final Netns router, final String ifname, final int percent, final Path scratch)
        throws Exception
    {
        remove(router);
        final Path rules = scratch.resolve("loss-" + router.name + ".nft");
        Files.writeString(rules, "table inet " + TABLE + " {\n"
            + "  chain forward {\n"
            + "    type filter hook forward priority 0;\n"
            + "    iifname \"" + ifname + "\" numgen random mod 100 < " + percent + " counter drop\n"
            + "    oifname \"" + ifname + "\" numgen random mod 100 < " + percent + " counter drop\n"
            + "  }\n"
            + "}\n");
        final Cmd.Result install = router.exec(Duration.ofSeconds(10), "nft", "-f", rules.toString());
        assertTrue(install.ok(), () -> "could not install the nftables loss rules (the test must not run clean): "
            + install);
    }

    /** Packets dropped since {@link #install}: {in through the interface, out through it}. */
    static long[] dropped(final Netns router)
    {
        final Cmd.Result ruleset = router.execOk("nft", "list", "table", "inet", TABLE);
        final Matcher m = PACKETS.matcher(ruleset.output());
        final long[] dropped = new long[2];
        for (int i = 0; i < 2; i++)
        {
            assertTrue(m.find(), () -> "no counters in " + ruleset.output());
            dropped[i] = Long.parseLong(m.group(1));
        }
        return dropped;
    }

    static void remove(final Netns router)
    {
        router.exec(Duration.ofSeconds(10), "nft", "delete", "table", "inet", TABLE);
    }
}
