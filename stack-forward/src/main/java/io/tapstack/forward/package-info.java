/**
 * The forwarding engine: user-mode networking for a guest (a network namespace or a VM) on the other end of a
 * TAP. The stack answers as the guest's gateway, hands out its address by DHCP, answers DNS by forwarding to the
 * host's resolvers, and carries the guest's TCP and UDP flows through ordinary host sockets, with inbound port
 * forwards the other way.
 *
 * <p>A library of its own (not part of the stack core) because it is an application of the stack: it owns host
 * sockets, a selector and policy (allow and deny lists, limits), none of which the protocol layers should know.
 */
package io.tapstack.forward;
