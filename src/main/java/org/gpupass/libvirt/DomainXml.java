package org.gpupass.libvirt;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.gpupass.model.ErrorKind;
import org.gpupass.model.GpuPassException;
import org.gpupass.model.PciAddress;
import org.gpupass.model.Printable;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Reads the PCI host devices out of a libvirt domain XML document, as libvirt hands it to a hook
 * on stdin (ClaimDomain's {@code domain_xml}). The document comes from a caller: it is parsed with
 * every XML feature that reaches outside the text switched off.
 *
 * <ul>
 * <li>At most {@value #MAX_BYTES} bytes of UTF-8, checked before parsing.</li>
 * <li>No DOCTYPE at all (so no DTD, no entity declarations: XXE and "billion laughs" fail at the
 *     DOCTYPE); external entities and DTDs are never loaded; XInclude is off and any element in the
 *     XInclude namespace is refused; secure processing on, with low entity and depth limits.</li>
 * <li>The root element must be {@code <domain>}.</li>
 * </ul>
 * Every refusal is {@code InvalidArgument}. Thread-safe: each call builds its own parser, and one
 * document is parsed at a time: the DOM of a 1 MiB document of empty elements holds 7.3 MiB, four at
 * once exhaust the daemon's 64 MiB heap (measured on JDK 17); one more waits about 0.2 s.
 */
public final class DomainXml {

    /** 1 MiB: the spec's limit for {@code domain_xml}, in UTF-8 bytes. */
    public static final int MAX_BYTES = 1 << 20;

    private static final String XINCLUDE_NS = "http://www.w3.org/2001/XInclude";
    private static final int MAX_DEPTH = 256;
    private static final Semaphore PARSING = new Semaphore(1, true);
    private static final AtomicInteger parsing = new AtomicInteger();
    private static final AtomicInteger mostAtOnce = new AtomicInteger();

    private DomainXml() {
    }

    /**
     * Every {@code <hostdev mode='subsystem' type='pci'>} directly under the root's
     * {@code <devices>}, in document order. A missing {@code mode} counts as {@code subsystem}
     * (libvirt's default). Other hostdev types (usb, scsi, scsi_host, mdev), {@code mode='capabilities'}
     * and {@code <interface type='hostdev'>} (SR-IOV network functions) are skipped.
     *
     * @throws GpuPassException InvalidArgument when the document is too large, not well-formed,
     *                          has a DOCTYPE, is not a {@code <domain>}, or a PCI hostdev has no
     *                          valid source address or a bad {@code managed} value
     */
    public static List<Hostdev> pciHostdevs(String xml) throws GpuPassException {
        if (xml == null) {
            throw invalid("domain XML is missing");
        }
        if (utf8Length(xml) > MAX_BYTES) {
            throw invalid("domain XML is larger than 1 MiB (" + MAX_BYTES + " bytes)");
        }
        if (xml.isBlank()) {
            throw invalid("domain XML is empty");
        }
        PARSING.acquireUninterruptibly();
        try {
            mostAtOnce.accumulateAndGet(parsing.incrementAndGet(), Math::max);
            return hostdevs(parse(xml));
        } finally {
            parsing.decrementAndGet();
            PARSING.release();
        }
    }

    /**
     * Whether a {@code <hostdev>} under {@code <devices>} is one that counts: {@code type='pci'}, mode
     * {@code subsystem} or none (libvirt's default). The rule for {@code gpupassctl attach} too.
     */
    public static boolean isPciHostdev(Element hostdev) {
        String mode = hostdev.hasAttribute("mode") ? hostdev.getAttribute("mode") : "subsystem";
        return "subsystem".equals(mode) && "pci".equals(hostdev.getAttribute("type"));
    }

    /** The most documents parsed at once so far, for tests. */
    static int mostAtOnce() {
        return mostAtOnce.get();
    }

    private static List<Hostdev> hostdevs(Document doc) throws GpuPassException {
        Element root = doc.getDocumentElement();
        if (root == null) {
            throw invalid("domain XML has no root element, expected <domain>");
        }
        if (root.getNamespaceURI() != null) {
            throw invalid("domain XML: the root element is <" + Printable.clip(root.getTagName()) + "> in namespace '"
                    + Printable.clip(root.getNamespaceURI()) + "', expected <domain> in no namespace (libvirt writes it"
                    + " without one)");
        }
        if (!"domain".equals(root.getLocalName())) {
            throw invalid("domain XML: the root element is <" + Printable.clip(root.getTagName())
                    + ">, expected <domain>");
        }
        refuseXInclude(root);
        List<Hostdev> out = new ArrayList<>();
        int index = 0;
        for (Element devices : children(root, "devices")) {
            for (Element hostdev : children(devices, "hostdev")) {
                index++;
                if (isPciHostdev(hostdev)) {
                    out.add(hostdev(hostdev, index));
                }
            }
        }
        return List.copyOf(out);
    }

    private static Hostdev hostdev(Element hostdev, int index) throws GpuPassException {
        String where = "domain XML: <hostdev> #" + index + " (type='pci')";
        boolean managed;
        if (!hostdev.hasAttribute("managed")) {
            managed = false; // libvirt: omitted means "no"
        } else {
            String m = hostdev.getAttribute("managed");
            if (m.equals("yes")) {
                managed = true;
            } else if (m.equals("no")) {
                managed = false;
            } else {
                throw invalid(where + ": managed='" + Printable.clip(m) + "', expected 'yes' or 'no'");
            }
        }
        List<Element> sources = children(hostdev, "source");
        if (sources.size() != 1) {
            throw invalid(where + (sources.isEmpty() ? " has no <source>" : " has more than one <source>"));
        }
        List<Element> addresses = children(sources.get(0), "address");
        if (addresses.size() != 1) {
            throw invalid(where + (addresses.isEmpty() ? " has no <source><address>" : " has more than one <source><address>"));
        }
        Element a = addresses.get(0);
        if (a.hasAttribute("type") && !"pci".equals(a.getAttribute("type"))) {
            throw invalid(where + ": <source><address type='" + Printable.clip(a.getAttribute("type"))
                    + "'>, expected a PCI address");
        }
        // libvirt formats all four; a hand-written one may leave out domain (0), never bus/slot/function.
        int domain = a.hasAttribute("domain") ? number(a, "domain", 0xffff, where) : 0;
        int bus = number(a, "bus", 0xff, where);
        int slot = number(a, "slot", 0x1f, where);
        int function = number(a, "function", 7, where);
        return new Hostdev(new PciAddress(domain, bus, slot, function), managed);
    }

    /**
     * An address attribute the way libvirt reads it (strtoul with base 0): {@code 0x} hex, a leading
     * {@code 0} octal, else decimal; no sign, no blanks.
     */
    private static int number(Element a, String name, int max, String where) throws GpuPassException {
        if (!a.hasAttribute(name)) {
            throw invalid(where + ": <source><address> has no " + name + " attribute");
        }
        String text = a.getAttribute(name);
        long value = parseNumber(text);
        if (value < 0) {
            throw invalid(where + ": " + name + "='" + Printable.clip(text)
                    + "' is not a number (hex 0x.., octal 0.., or decimal)");
        }
        if (value > max) {
            throw invalid(where + ": " + name + "='" + Printable.clip(text) + "' is out of range (at most 0x"
                    + Integer.toHexString(max) + ")");
        }
        return (int) value;
    }

    /** -1 when not a number; large values are capped (still out of range) rather than overflowing. */
    static long parseNumber(String text) {
        int radix;
        String digits;
        if (text.startsWith("0x") || text.startsWith("0X")) {
            radix = 16;
            digits = text.substring(2);
        } else if (text.length() > 1 && text.startsWith("0")) {
            radix = 8;
            digits = text.substring(1);
        } else {
            radix = 10;
            digits = text;
        }
        if (digits.isEmpty()) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            char c = digits.charAt(i);
            if (!isAsciiDigit(c, radix)) {
                return -1;
            }
            int d = Character.digit(c, radix);
            value = Math.min(value * radix + d, 1L << 40);
        }
        return value;
    }

    private static boolean isAsciiDigit(char c, int radix) {
        if (c >= '0' && c <= '9') {
            return c - '0' < radix;
        }
        return radix == 16 && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F');
    }

    private static Document parse(String xml) throws GpuPassException {
        DocumentBuilder builder;
        try {
            builder = factory().newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a required security feature", e);
        }
        builder.setEntityResolver((publicId, systemId) -> {
            throw new SAXException("external entities are not allowed");
        });
        builder.setErrorHandler(new ErrorHandler() {
            @Override
            public void warning(SAXParseException e) {
            }

            @Override
            public void error(SAXParseException e) throws SAXException {
                throw e;
            }

            @Override
            public void fatalError(SAXParseException e) throws SAXException {
                throw e;
            }
        });
        try {
            return builder.parse(new InputSource(new StringReader(xml)));
        } catch (SAXParseException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("DOCTYPE")) {
                throw invalid("domain XML must not have a DOCTYPE (no DTDs or entity declarations)");
            }
            if (msg.startsWith("JAXP")) {
                throw invalid("domain XML exceeds a parser limit (line " + e.getLineNumber() + "): " + clean(msg));
            }
            throw invalid("domain XML is not well-formed (line " + e.getLineNumber() + ", column "
                    + e.getColumnNumber() + "): " + clean(msg));
        } catch (SAXException e) {
            throw invalid("domain XML refused: " + clean(String.valueOf(e.getMessage())));
        } catch (IOException e) {
            throw invalid("domain XML could not be read: " + clean(String.valueOf(e.getMessage())));
        }
    }

    private static DocumentBuilderFactory factory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
        f.setNamespaceAware(true);
        f.setValidating(false);
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        f.setCoalescing(false);
        f.setIgnoringComments(true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        setLimit(f, "jdk.xml.entityExpansionLimit", "100");
        setLimit(f, "jdk.xml.maxGeneralEntitySizeLimit", "4096");
        setLimit(f, "jdk.xml.totalEntitySizeLimit", "65536");
        setLimit(f, "jdk.xml.maxElementDepth", Integer.toString(MAX_DEPTH));
        setLimit(f, "jdk.xml.elementAttributeLimit", "100");
        return f;
    }

    private static void setLimit(DocumentBuilderFactory f, String name, String value) {
        try {
            f.setAttribute(name, value);
        } catch (IllegalArgumentException e) {
            // Not the JDK's built-in parser: the DOCTYPE ban above already keeps entities out.
        }
    }

    private static void refuseXInclude(Element e) throws GpuPassException {
        // Iterative walk: the depth limit is the parser's, this must not add a recursion limit of its own.
        List<Node> stack = new ArrayList<>();
        stack.add(e);
        while (!stack.isEmpty()) {
            Node n = stack.remove(stack.size() - 1);
            if (n.getNodeType() == Node.ELEMENT_NODE && XINCLUDE_NS.equals(n.getNamespaceURI())) {
                throw invalid("domain XML must not use XInclude");
            }
            for (Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
                if (c.getNodeType() == Node.ELEMENT_NODE) {
                    stack.add(c);
                }
            }
        }
    }

    /** Child elements with this name and no namespace. */
    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n.getNodeType() == Node.ELEMENT_NODE && n.getNamespaceURI() == null && name.equals(n.getLocalName())) {
                out.add((Element) n);
            }
        }
        return out;
    }

    /** UTF-8 length without encoding; an unpaired surrogate counts 3 bytes. */
    static long utf8Length(String s) {
        if (s.length() > MAX_BYTES) {
            return s.length(); // every char is at least one byte
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static String clean(String message) {
        StringBuilder out = new StringBuilder();
        message.codePoints().limit(200).forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp));
        return out.toString();
    }

    private static GpuPassException invalid(String message) {
        return new GpuPassException(ErrorKind.INVALID_ARGUMENT, message);
    }
}
