"""One fake pod's application on gRPC C-core (Debian's python3-grpcio), the second xDS data plane of the
end-to-end tests. It speaks the same line protocol as the grpc-java workload (dev.gatehouse.it.workload.WorkloadMain),
so the Java tests drive either the same way. Protocol lines on stdout start with "@@ "; C-core's own log goes to
stderr, where the Java launcher also reads C-core's serving-status lines ("will start serving on", "not serving on"),
because the Python API has no serving-status callback.

  server <pod> <ip> <port>[,<port>...]   grpc.server(xds=True) with xds_server_credentials(insecure fallback) on
                                          ip:port for each port; prints "STARTED"; answers every method
  client <target>                         grpc.secure_channel(target, xds_channel_credentials(insecure fallback));
                                          prints "READY"; stdin "CALL <Method|/full/path>" prints
                                          "OK <answer>" or "ERR <CODE> <details>"; "CALL_FRESH ..." does the same on a
                                          new channel; "CALL_TO <target> <method>" calls another target

The server answers "pod=<pod> method=<name> port=<port> peer=<spiffe id|none> peerSerial=<hex|none>": what it saw
of the caller's certificate. Nothing but the Python standard library and grpc is imported.
"""

import base64
import concurrent.futures
import sys
import threading

import grpc
import grpc.experimental

PREFIX = "@@ "
DEFAULT_SERVICE = "gatehouse.it.Echo"
_out_lock = threading.Lock()


def say(line):
    with _out_lock:
        sys.stdout.write(PREFIX + line.replace("\n", " ") + "\n")
        sys.stdout.flush()


# ---- what the server saw of the caller ----------------------------------------------------------------------------

def _der_item(data, offset):
    """(tag, content start, content end) of the DER item at offset."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[start:start + n], "big")
        start += n
    return tag, start, start + length


def serial_of(pem):
    """The serial number (lower-case hex, no leading zeros) of a PEM certificate, parsed from its DER."""
    body = "".join(l for l in pem.decode("ascii").splitlines() if l and not l.startswith("-----"))
    der = base64.b64decode(body)
    _, cert_start, _ = _der_item(der, 0)           # Certificate SEQUENCE
    _, tbs_start, _ = _der_item(der, cert_start)   # TBSCertificate SEQUENCE
    tag, start, end = _der_item(der, tbs_start)
    if tag == 0xA0:                                 # [0] version, then the serial
        tag, start, end = _der_item(der, end)
    return format(int.from_bytes(der[start:end], "big"), "x")


def describe_peer(context):
    auth = context.auth_context() or {}
    pems = auth.get("x509_pem_cert")
    if not pems:
        return "peer=none peerSerial=none"
    spiffe = [s.decode() for s in auth.get("x509_subject_alternative_name", []) if s.startswith(b"spiffe://")]
    return "peer=%s peerSerial=%s" % (spiffe[0] if spiffe else "no-uri-san", serial_of(pems[0]))


class AnyMethod(grpc.GenericRpcHandler):
    """Answers every unary method (bytes in, bytes out), so policies may name any path."""

    def __init__(self, pod, port):
        self.pod = pod
        self.port = port

    def service(self, handler_call_details):
        path = handler_call_details.method
        name = path.rsplit("/", 1)[-1]

        def answer(request, context):
            text = "pod=%s method=%s port=%d %s" % (self.pod, name, self.port, describe_peer(context))
            return text.encode("utf-8")

        return grpc.unary_unary_rpc_method_handler(answer)


def server(pod, ip, ports):
    # One server per port (they share the process's one xDS client), so an answer can say which port served it.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
    credentials = grpc.xds_server_credentials(grpc.insecure_server_credentials())
    servers = []
    for port in ports:
        srv = grpc.server(pool, xds=True)
        srv.add_generic_rpc_handlers((AnyMethod(pod, port),))
        srv.add_secure_port("%s:%d" % (ip, port), credentials)
        srv.start()  # returns at once; C-core binds the port once its Listener arrives
        servers.append(srv)
    say("STARTED")
    for line in sys.stdin:
        if line.strip() == "QUIT":
            break
    for srv in servers:
        srv.stop(0).wait(5)


# ---- client ----------------------------------------------------------------------------------------------------------

def new_channel(target):
    if target.startswith("xds:"):
        return grpc.secure_channel(target, grpc.xds_channel_credentials(grpc.experimental.insecure_channel_credentials()))
    return grpc.insecure_channel(target)


def method_path(method):
    return method if method.startswith("/") else "/%s/%s" % (DEFAULT_SERVICE, method)


def call(channel, method):
    stub = channel.unary_unary(method_path(method))
    try:
        answer = stub(b"ping", timeout=5)
        return "OK " + answer.decode("utf-8")
    except grpc.RpcError as e:
        return "ERR %s %s" % (e.code().name, (e.details() or "").replace("\n", " "))


def client(target):
    channel = new_channel(target)
    others = {}
    say("READY")
    for line in sys.stdin:
        line = line.strip()
        if line == "QUIT":
            break
        if line.startswith("CALL_FRESH "):
            fresh = new_channel(target)
            try:
                say(call(fresh, line[len("CALL_FRESH "):].strip()))
            finally:
                fresh.close()
        elif line.startswith("CALL_TO "):
            other, method = line[len("CALL_TO "):].split()
            if other not in others:
                others[other] = new_channel(other)
            say(call(others[other], method))
        elif line.startswith("CALL "):
            say(call(channel, line[len("CALL "):].strip()))
    channel.close()
    for c in others.values():
        c.close()


def main(argv):
    if argv[1] == "server":
        server(argv[2], argv[3], [int(p) for p in argv[4].split(",")])
    elif argv[1] == "client":
        client(argv[2])
    else:
        raise SystemExit("unknown mode " + argv[1])


if __name__ == "__main__":
    main(sys.argv)
