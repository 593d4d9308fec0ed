package io.tapstack.forward.control;

import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control API over real HTTP on loopback, against a table of forwards that opens no socket. */
class ControlServerTest
{
    /** A table in memory; host port 1 stands for a host socket that cannot be opened. */
    private static final class Table implements PortForwards
    {
        final List<PortForwardStatus> entries = new ArrayList<>();

        @Override
        public synchronized PortForwardStatus add(final PortForward forward) throws IOException
        {
            if (forward.hostPort() == 1)
            {
                throw new BindException("Address already in use");
            }
            for (final PortForwardStatus s : entries)
            {
                if (s.forward().sameHostSocket(forward))
                {
                    throw new IllegalStateException("already forwarded");
                }
            }
            final PortForwardStatus status = new PortForwardStatus(forward, 0, 0, 0, 0, 0);
            entries.add(status);
            return status;
        }

        @Override
        public synchronized boolean remove(final PortForward.Protocol protocol, final InetAddress hostAddress,
            final int hostPort)
        {
            return entries.removeIf(s -> s.forward().protocol() == protocol && s.forward().hostPort() == hostPort
                && s.forward().hostAddress().equals(hostAddress));
        }

        @Override
        public synchronized List<PortForwardStatus> list()
        {
            return List.copyOf(entries);
        }
    }

    private final Table table = new Table();
    private final HttpClient client = HttpClient.newHttpClient();
    private ControlServer server;
    private URI base;

    @BeforeEach
    void start() throws IOException
    {
        server = ControlServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), table);
        base = URI.create("http://127.0.0.1:" + server.address().getPort());
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    private HttpResponse<String> call(final String method, final String path, final String body) throws Exception
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path));
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> listed() throws Exception
    {
        final HttpResponse<String> list = call("GET", "/forwards", null);
        assertEquals(200, list.statusCode());
        assertEquals("application/json", list.headers().firstValue("Content-Type").orElse(""));
        return (List<Map<String, Object>>)JSON.std.mapFrom(list.body()).get("forwards");
    }

    @Test
    void addsListsAndRemovesForwards() throws Exception
    {
        assertTrue(listed().isEmpty());
        final HttpResponse<String> added = call("POST", "/forwards", "{\"spec\": \"8080:80\"}");
        assertEquals(201, added.statusCode(), added.body());
        assertEquals("127.0.0.1:8080:80/tcp", JSON.std.mapFrom(added.body()).get("spec"));
        assertEquals(201, call("POST", "/forwards",
            "{\"protocol\": \"udp\", \"hostAddress\": \"127.0.0.1\", \"hostPort\": 5353, \"guestPort\": 53}")
            .statusCode());

        final List<Map<String, Object>> forwards = listed();
        assertEquals(2, forwards.size());
        assertEquals("127.0.0.1:5353:53/udp", forwards.get(1).get("spec"));
        assertEquals(0, ((Number)forwards.get(1).get("accepted")).intValue(), "counters are listed");

        assertEquals(204, call("DELETE", "/forwards/tcp/127.0.0.1/8080", null).statusCode());
        assertEquals(404, call("DELETE", "/forwards/tcp/127.0.0.1/8080", null).statusCode(), "already gone");
        assertEquals(List.of("127.0.0.1:5353:53/udp"), listed().stream().map(m -> m.get("spec")).toList());
    }

    @Test
    void answersWhatItCannotDoWithAReason() throws Exception
    {
        assertEquals(201, call("POST", "/forwards", "{\"spec\": \"8080:80\"}").statusCode());
        final HttpResponse<String> taken = call("POST", "/forwards", "{\"spec\": \"127.0.0.1:8080:81\"}");
        assertEquals(409, taken.statusCode(), "the host socket is held by the first forward");
        assertTrue(taken.body().contains("already forwarded"), taken.body());
        final HttpResponse<String> inUse = call("POST", "/forwards", "{\"spec\": \"1:80\"}");
        assertEquals(409, inUse.statusCode());
        assertTrue(inUse.body().contains("in use"), inUse.body());

        assertEquals(400, call("POST", "/forwards", "{\"spec\": \"8080\"}").statusCode());
        assertEquals(400, call("POST", "/forwards", "not json").statusCode());
        assertEquals(400, call("POST", "/forwards", "{\"hostPort\": \"80\"}").statusCode());
        assertEquals(400, call("DELETE", "/forwards/tcp/8080", null).statusCode());
        assertEquals(413, call("POST", "/forwards", "{\"spec\": \"" + "x".repeat(5000) + "\"}").statusCode());
        assertEquals(405, call("PUT", "/forwards", "{}").statusCode());
        assertEquals(404, call("GET", "/other", null).statusCode());
        assertEquals(1, listed().size(), "nothing changed by the refused requests");
    }

    @Test
    void listensOnLoopbackOnly()
    {
        assertThrows(IllegalArgumentException.class,
            () -> ControlServer.start(new InetSocketAddress("0.0.0.0", 0), table));
    }
}
