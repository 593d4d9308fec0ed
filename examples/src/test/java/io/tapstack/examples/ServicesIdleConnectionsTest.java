package io.tapstack.examples;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.MemoryLink;
import io.tapstack.socket.Idler;
import io.tapstack.socket.SocketConfig;
import io.tapstack.socket.SocketStack;
import io.tapstack.socket.StackRunner;
import io.tapstack.socket.TcpSocket;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11's idle connections at CI size: {@value #CONNECTIONS} clients each echo 100 bytes through the services'
 * echo and then sit idle; once the idle delays pass (TCP's arrays and the socket rings, 1 s each by default, as the
 * {@code services} command has them) the services' stack holds no TCP buffer array and no ring for any of them, by
 * its own gauges, and a new client still gets its echo. In memory, in real time; examples/idle-connections.sh takes
 * the same measure with 10,000 kernel clients on a TAP.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServicesIdleConnectionsTest
{
    private static final int CONNECTIONS = 1500;
    private static final Duration CONNECT = Duration.ofSeconds(10);
    private static final int SERVER = Ipv4Address.parse("10.0.0.2");
    private static final int BUFFER_BYTES = 8192;

    @Test
    void idleConnectionsHoldNoBufferArraysOrRingsAndANewClientIsStillAnswered() throws Exception
    {
        final MemoryLink link = new MemoryLink(SystemNanoClock.INSTANCE, 50_000L, 8192, 1514);
        final StackConfig clientConfig = new StackConfig().ipAddress("10.0.0.1/24").seed(1).repeatableSecrets(true);
        clientConfig.tcp().maxConnections(CONNECTIONS + 10);
        final StackConfig serverConfig = new StackConfig().ipAddress("10.0.0.2/24").seed(2).repeatableSecrets(true);
        serverConfig.tcp().maxConnections(CONNECTIONS + 10).sendBufferBytes(BUFFER_BYTES)
            .receiveBufferBytes(BUFFER_BYTES);
        final NetStack serverStack = new NetStack(serverConfig, link.endB());
        final ExecutorService callbacks = Services.callbackExecutor(2);
        final int ring = Services.ringBytes(BUFFER_BYTES);
        final SocketStack server = new SocketStack(serverStack, new SocketConfig().callbackExecutor(callbacks)
            .acceptQueueLength(Services.BACKLOG).tcpSendRingBytes(ring).tcpReceiveRingBytes(ring));
        final SocketStack client = new SocketStack(new NetStack(clientConfig, link.endA()));
        final List<TcpSocket> clients = new ArrayList<>();
        try (StackRunner runner = new StackRunner(Idler.parking(), SystemNanoClock.INSTANCE, "idle-test")
            .add(client).add(server).start();
            ServiceSet services = ServiceSet.start(server, new ServiceSet.Settings(7, 0, 0, 80, Services.BACKLOG,
                ring, Duration.ofSeconds(60))))
        {
            final byte[] request = new byte[100];
            Arrays.fill(request, (byte)'x');
            for (int i = 0; i < CONNECTIONS; i++)
            {
                final TcpSocket c = client.connect(SERVER, 7, CONNECT);
                c.readTimeout(CONNECT);
                c.write(request, 0, request.length);
                assertArrayEquals(request, c.getInputStream().readNBytes(request.length), "connection " + i);
                clients.add(c);
            }
            assertEquals(CONNECTIONS, services.tcp("echo").open());
            // a send array each; the requests went from the frames straight into the sockets' rings (no receive
            // array: TcpHandler.onInOrderData)
            assertTrue(server.counters().get(Counter.TCP_MEMORY_ALLOCATED_BYTES) >= 4096L * CONNECTIONS,
                "each echo took a send array");

            await(() -> server.counters().get(Counter.TCP_MEMORY_BYTES) == 0 && server.ringBytesHeld() == 0,
                () -> "idle for the delays yet held: TCP arrays "
                    + server.counters().get(Counter.TCP_MEMORY_BYTES) / CONNECTIONS + " B and rings "
                    + server.ringBytesHeld() / CONNECTIONS + " B per connection");
            assertTrue(server.counters().get(Counter.TCP_IDLE_BUFFER_RELEASES) >= CONNECTIONS,
                "each connection gave back the arrays it took");

            try (TcpSocket fresh = client.connect(SERVER, 7, CONNECT))
            {
                fresh.readTimeout(CONNECT);
                final long start = System.nanoTime();
                fresh.write(request, 0, request.length);
                assertArrayEquals(request, fresh.getInputStream().readNBytes(request.length));
                System.out.printf("%,d idle connections: 0 B of TCP arrays and rings each; a new client's echo in "
                    + "%.2f ms%n", CONNECTIONS, (System.nanoTime() - start) / 1e6);
            }
            for (final TcpSocket c : clients)
            {
                c.close();
            }
        }
        finally
        {
            callbacks.shutdownNow();
        }
    }

    private static void await(final BooleanSupplier condition, final Supplier<String> message)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, message);
            Thread.sleep(20);
        }
    }
}
