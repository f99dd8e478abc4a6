// The middleboxes suggestKeepalive knows by name, with their documented idle
// timeouts: data only, in a module of its own so that require('tcp-keepalive')
// can export it without loading the rest of the package (scripts/bundle.js).
// Frozen through, so a program cannot change what suggestKeepalive reads.

/** The middleboxes whose documented idle timeout `behind` may name. */
export type MiddleboxPreset =
  | 'aws-nlb'
  | 'aws-nat-gateway'
  | 'aws-gwlb'
  | 'azure-lb'
  | 'azure-nat-gateway'
  | 'gcp-cloud-nat'
  | 'docker-swarm'
  | 'kube-proxy-ipvs';

export interface Middlebox {
  /** What it is, in words. */
  readonly name: string;
  /** Milliseconds an idle TCP connection is kept: the provider's documented default. */
  readonly idleTimeout: number;
  /** Where that number is documented. */
  readonly source: string;
}

/**
 * Middleboxes that track TCP connections themselves (layer 4), so that a
 * keepalive probe, an empty segment, counts as activity. Each timeout is the
 * provider's documented default; where it was changed, pass the number.
 */
export const middleboxPresets: Readonly<Record<MiddleboxPreset, Middlebox>> = Object.freeze({
  'aws-nlb': Object.freeze({
    name: 'AWS Network Load Balancer',
    idleTimeout: 350_000,
    source: 'Elastic Load Balancing, Network Load Balancers: "Update the TCP idle timeout for your Network Load Balancer listener"',
  }),
  'aws-nat-gateway': Object.freeze({
    name: 'AWS NAT Gateway',
    idleTimeout: 350_000,
    source: 'Amazon VPC User Guide, "Troubleshoot NAT gateways": internet connection drops after 350 seconds',
  }),
  'aws-gwlb': Object.freeze({
    name: 'AWS Gateway Load Balancer',
    idleTimeout: 350_000,
    source: 'Elastic Load Balancing, Gateway Load Balancers: "Listeners for your Gateway Load Balancers" (tcp.idle_timeout.seconds)',
  }),
  'azure-lb': Object.freeze({
    name: 'Azure Load Balancer',
    idleTimeout: 240_000,
    source: 'Azure Load Balancer: "Load Balancer TCP Reset and Idle Timeout" (4 minutes by default)',
  }),
  'azure-nat-gateway': Object.freeze({
    name: 'Azure NAT Gateway',
    idleTimeout: 240_000,
    source: 'Azure NAT Gateway: its TCP idle timeout, idleTimeoutInMinutes (4 minutes by default)',
  }),
  'gcp-cloud-nat': Object.freeze({
    name: 'Google Cloud NAT',
    idleTimeout: 1_200_000,
    source: 'Google Cloud NAT: tcpEstablishedIdleTimeoutSec, the TCP established connection idle timeout (1200 s by default)',
  }),
  'docker-swarm': Object.freeze({
    name: "Docker Swarm's routing mesh (IPVS)",
    idleTimeout: 900_000,
    source: "Linux IPVS's timeout for established TCP connections, 15 minutes (net/netfilter/ipvs/ip_vs_proto_tcp.c), which Swarm's service load balancing uses",
  }),
  'kube-proxy-ipvs': Object.freeze({
    name: 'Kubernetes kube-proxy in IPVS mode',
    idleTimeout: 900_000,
    source: "kube-proxy reference: --ipvs-tcp-timeout, whose default 0 leaves IPVS's own 15 minutes",
  }),
});
