package io.tapstack.examples;

import io.tapstack.tap.TapStack;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.slf4j.LoggerFactory;

/** {@code ping-responder}: answers ARP and ping on a TAP until Ctrl-C, then prints the stack's counters. */
final class PingResponder
{
    private PingResponder()
    {
    }

    static int run(final String[] args) throws InterruptedException
    {
        final StackCommand command = new StackCommand("ping-responder", StackOptions.declare(new Options(
            "ping-responder",
            "Opens (or creates) a TAP device and answers ARP and ICMP echo on it until Ctrl-C, then prints its\n"
                + "counters. Give the kernel side of the TAP an address on the same subnet and ping the stack.")));
        final int parsed = command.parse(args);
        if (parsed != StackCommand.CONTINUE)
        {
            return parsed;
        }
        final TapStack stack = command.startServer();
        if (stack == null)
        {
            return command.failure();
        }
        LoggerFactory.getLogger("ping-responder").info("answering ARP and ping for {}/{} (MAC {}) on {} in {} mode; "
            + "Ctrl-C to stop", Ipv4Address.toString(stack.stack().ipAddress()), stack.stack().config().prefixLength(),
            MacAddress.toString(stack.stack().macAddress()), stack.tapName(), stack.mode().name().toLowerCase());
        return command.serveUntilStopped(null);
    }
}
