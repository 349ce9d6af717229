package isolation

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/nswasi/nswasi/nsrun"
)

// A canary is a listener nswasi runs outside the sandbox that writes down
// everything that reaches it. Canaries listen only on loopback and on
// addresses inside namespaces nswasi created.

// arrival is one connection or datagram that reached a canary.
type arrival struct {
	From netip.AddrPort
	Data string
}

func (a arrival) String() string { return fmt.Sprintf("from %s: %q", a.From, a.Data) }

type tcpCanary struct {
	Addr netip.AddrPort
	ln   net.Listener
	mu   sync.Mutex
	got  []arrival
	wg   sync.WaitGroup
}

// listenCanaryTCP opens a TCP canary on addr (port 0: any) in nswasi's
// namespace, or inside ns when ns is not nil.
func listenCanaryTCP(addr netip.Addr, ns *nsrun.Namespace) (*tcpCanary, error) {
	var ln net.Listener
	listen := func() error {
		var err error
		ln, err = net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		return err
	}
	var err error
	if ns != nil {
		// The socket belongs to the namespace of the thread that made it,
		// and stays there whichever thread accepts on it later.
		err = ns.Do(listen)
	} else {
		err = listen()
	}
	if err != nil {
		return nil, fmt.Errorf("canary listener on %s: %w", addr, err)
	}
	c := &tcpCanary{Addr: ln.Addr().(*net.TCPAddr).AddrPort(), ln: ln}
	c.wg.Add(1)
	go c.serve()
	return c, nil
}

func (c *tcpCanary) serve() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(time.Second))
		b := make([]byte, 256)
		n, _ := conn.Read(b)
		conn.Close()
		c.mu.Lock()
		c.got = append(c.got, arrival{conn.RemoteAddr().(*net.TCPAddr).AddrPort(), strings.TrimSpace(string(b[:n]))})
		c.mu.Unlock()
	}
}

// Close stops the canary and returns what reached it.
func (c *tcpCanary) Close() []arrival {
	c.ln.Close()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got
}

type udpCanary struct {
	Addr netip.AddrPort
	pc   net.PacketConn
	dns  bool // answer DNS queries for A records
	// answer is the address the resolver hands out: fresh per canary, from
	// TEST-NET-2 (RFC 5737), which is never routed.
	answer netip.Addr
	mu     sync.Mutex
	got    []arrival
	wg     sync.WaitGroup
}

// listenCanaryUDP opens a UDP canary; with dns set it is a resolver that
// answers every A query with one fresh address and records the names asked.
func listenCanaryUDP(addr netip.Addr, dns bool) (*udpCanary, error) {
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(addr, 0).String())
	if err != nil {
		return nil, fmt.Errorf("canary UDP socket on %s: %w", addr, err)
	}
	var r [1]byte
	rand.Read(r[:])
	c := &udpCanary{Addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(), pc: pc, dns: dns,
		answer: netip.AddrFrom4([4]byte{198, 51, 100, r[0]})}
	c.wg.Add(1)
	go c.serve()
	return c, nil
}

func (c *udpCanary) serve() {
	defer c.wg.Done()
	b := make([]byte, 2048)
	for {
		n, from, err := c.pc.ReadFrom(b)
		if err != nil {
			return
		}
		a := arrival{From: from.(*net.UDPAddr).AddrPort(), Data: string(b[:n])}
		if c.dns {
			name, reply, err := dnsReply(b[:n], c.answer)
			a.Data = "query " + name
			if err != nil {
				a.Data = fmt.Sprintf("malformed query (%v): %x", err, b[:n])
			} else {
				c.pc.WriteTo(reply, from)
			}
		}
		c.mu.Lock()
		c.got = append(c.got, a)
		c.mu.Unlock()
	}
}

// Close stops the canary and returns what reached it.
func (c *udpCanary) Close() []arrival {
	c.pc.Close()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got
}

// dnsReply parses a one-question query and builds the answer: the question
// copied back and one A record pointing at it.
func dnsReply(q []byte, answer netip.Addr) (string, []byte, error) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return "", nil, fmt.Errorf("not a one-question query")
	}
	var labels []string
	i := 12
	for {
		if i >= len(q) {
			return "", nil, fmt.Errorf("truncated name")
		}
		l := int(q[i])
		if l == 0 {
			break
		}
		if l > 63 || i+1+l > len(q) {
			return "", nil, fmt.Errorf("bad label")
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	end := i + 5 // root label, type, class
	if end > len(q) {
		return "", nil, fmt.Errorf("truncated question")
	}
	name := strings.Join(labels, ".") + "."
	r := append([]byte(nil), q[:2]...)
	r = append(r, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0) // response, RD, RA; 1 question, 1 answer
	r = append(r, q[12:end]...)
	a := answer.As4()
	r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4) // pointer to the question's name, A, IN, TTL 60
	r = append(r, a[:]...)
	return name, r, nil
}

// nonce is a fresh random token.
func nonce() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}
