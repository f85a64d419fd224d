// Command svcproxy stands in for kube-proxy and CoreDNS on hack/realnode's single node, in user space,
// so that pods reach Services by name exactly as the kind and AKS walkthroughs expect
// (https://fig-dev.fig-dev.svc:7281, https://orders-kv.fig-dev.svc/) without kernel NAT rules to undo.
//
// It polls the API server for Services and EndpointSlices. For every TCP port of every ClusterIP
// Service it puts the ClusterIP on the node's own link (pods route the Service CIDR to the host) and
// forwards each accepted connection to a ready endpoint; the "kubernetes" Service goes to the API
// server's loopback address (its Endpoints are not reconciled on this node). On --dns-ip:53/udp it
// answers A queries for <service>.<namespace>.svc.<domain> with the ClusterIP and NXDOMAIN for
// everything else (the node is offline: there is nothing upstream to ask).
//
// Why user space: the host keeps no iptables rules, no ip_forward and no conntrack state from it, so
// hack/realnode/down.sh undoes everything by deleting the link that carries the addresses.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the node's API server")
	dev := flag.String("dev", "", "link that carries the ClusterIPs (the node's own link)")
	dnsIP := flag.String("dns-ip", "", "address to answer DNS on (the kubelet's clusterDNS)")
	domain := flag.String("domain", "cluster.local", "cluster domain (the kubelet's clusterDomain)")
	apiserver := flag.String("apiserver", "", "host:port of the API server, the backend of the kubernetes Service")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if *kubeconfig == "" || *dev == "" || *dnsIP == "" || *apiserver == "" {
		log.Fatal("svcproxy: --kubeconfig, --dev, --dns-ip and --apiserver are required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("svcproxy: kubeconfig: %v", err)
	}
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	p := &proxy{dev: *dev, apiserver: *apiserver, listeners: map[string]net.Listener{}}
	p.table.Store(&table{})
	conn, err := net.ListenPacket("udp", net.JoinHostPort(*dnsIP, "53"))
	if err != nil {
		log.Fatalf("svcproxy: dns: %v", err)
	}
	go serveDNS(conn, p, strings.ToLower(*domain))
	for {
		if err := p.sync(ctx, client, strings.ToLower(*domain)); err != nil {
			log.Printf("svcproxy: sync: %v", err)
		}
		select {
		case <-ctx.Done():
			conn.Close()
			return
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// table is one consistent view of the cluster's Services: what a name resolves to and where a
// connection to ClusterIP:port goes.
type table struct {
	names    map[string]net.IP   // "<svc>.<ns>.svc.<domain>" -> ClusterIP
	backends map[string][]string // "ClusterIP:port" -> ready endpoints "podIP:targetPort"
}

type proxy struct {
	dev, apiserver string
	table          atomic.Pointer[table]
	listeners      map[string]net.Listener // only touched by sync
	next           atomic.Uint64           // round robin over endpoints
}

// sync lists Services and EndpointSlices, publishes a new table and opens or closes listeners.
func (p *proxy) sync(ctx context.Context, client kubernetes.Interface, domain string) error {
	svcs, err := client.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	slices, err := client.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	t := &table{names: map[string]net.IP{}, backends: map[string][]string{}}
	for i := range svcs.Items {
		s := &svcs.Items[i]
		ip := net.ParseIP(s.Spec.ClusterIP)
		if ip == nil { // headless or ExternalName
			continue
		}
		t.names[fmt.Sprintf("%s.%s.svc.%s", s.Name, s.Namespace, domain)] = ip
		for _, port := range s.Spec.Ports {
			if port.Protocol != corev1.ProtocolTCP {
				continue
			}
			key := net.JoinHostPort(s.Spec.ClusterIP, strconv.Itoa(int(port.Port)))
			if s.Namespace == "default" && s.Name == "kubernetes" {
				t.backends[key] = []string{p.apiserver}
				continue
			}
			t.backends[key] = readyEndpoints(slices.Items, s, port.Name)
		}
	}
	p.table.Store(t)
	for key := range t.backends {
		if _, ok := p.listeners[key]; ok {
			continue
		}
		l, err := p.listen(key)
		if err != nil {
			log.Printf("svcproxy: %s: %v", key, err)
			continue
		}
		p.listeners[key] = l
		go p.serve(l, key)
		log.Printf("svcproxy: serving %s", key)
	}
	for key, l := range p.listeners {
		if _, ok := t.backends[key]; !ok {
			l.Close()
			delete(p.listeners, key)
			log.Printf("svcproxy: stopped %s", key)
		}
	}
	return nil
}

// readyEndpoints lists podIP:port for the Service port named portName, from the Service's
// EndpointSlices, keeping only endpoints that are ready (unset counts as ready, as kube-proxy does).
func readyEndpoints(slices []discoveryv1.EndpointSlice, s *corev1.Service, portName string) []string {
	var out []string
	for i := range slices {
		es := &slices[i]
		if es.Namespace != s.Namespace || es.Labels[discoveryv1.LabelServiceName] != s.Name {
			continue
		}
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, pt := range es.Ports {
				if pt.Port == nil || (pt.Name != nil && *pt.Name != portName) {
					continue
				}
				for _, a := range ep.Addresses {
					out = append(out, net.JoinHostPort(a, strconv.Itoa(int(*pt.Port))))
				}
			}
		}
	}
	return out
}

// listen puts the ClusterIP on the node's link (once) and listens on ClusterIP:port.
func (p *proxy) listen(key string) (net.Listener, error) {
	host, _, _ := net.SplitHostPort(key)
	out, err := exec.Command("ip", "addr", "replace", host+"/32", "dev", p.dev).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("ip addr replace %s/32 dev %s: %v: %s", host, p.dev, err, out)
	}
	return net.Listen("tcp", key)
}

func (p *proxy) serve(l net.Listener, key string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return // closed by sync
		}
		go p.forward(c, key)
	}
}

// forward connects c to one ready endpoint of the Service behind key; with none it closes c, which
// a client sees as a refused or reset connection, as with kube-proxy's REJECT rule.
func (p *proxy) forward(c net.Conn, key string) {
	defer c.Close()
	eps := p.table.Load().backends[key]
	if len(eps) == 0 {
		return
	}
	be, err := net.DialTimeout("tcp", eps[p.next.Add(1)%uint64(len(eps))], 5*time.Second)
	if err != nil {
		return
	}
	defer be.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go pipe(&wg, be, c)
	go pipe(&wg, c, be)
	wg.Wait()
}

func pipe(wg *sync.WaitGroup, dst, src net.Conn) {
	defer wg.Done()
	_, _ = io.Copy(dst, src)
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

// serveDNS answers each query from the current table until conn is closed.
func serveDNS(conn net.PacketConn, p *proxy, domain string) {
	buf := make([]byte, 1500)
	for {
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				log.Printf("svcproxy: dns: %v", err)
			}
			return
		}
		if out, err := answer(buf[:n], p.table.Load().names); err == nil {
			_, _ = conn.WriteTo(out, addr)
		}
	}
}

// answer builds the reply to one DNS query: A records for known Service names, an empty answer for
// their other types, NXDOMAIN for any other name.
func answer(query []byte, names map[string]net.IP) ([]byte, error) {
	var parser dnsmessage.Parser
	h, err := parser.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := parser.Question()
	if err != nil {
		return nil, err
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	ip, known := names[strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")]
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if known && q.Type == dnsmessage.TypeA && ip.To4() != nil {
		var a dnsmessage.AResource
		copy(a.A[:], ip.To4())
		if err := b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 5}, a); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}
