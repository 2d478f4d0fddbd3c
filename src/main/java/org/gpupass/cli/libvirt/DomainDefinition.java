package org.gpupass.cli.libvirt;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.gpupass.libvirt.DomainXml;
import org.gpupass.libvirt.Hostdev;
import org.gpupass.model.PciAddress;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * A domain as {@code virsh dumpxml} prints it: its name, whether it runs, and its PCI hostdevs by host
 * address. Which hostdevs count is the daemon's rule ({@link DomainXml#isPciHostdev}):
 * {@code <hostdev type='pci'>} under {@code <devices>}, mode {@code subsystem} or none. libvirt refuses two
 * hostdevs of one host function, so there is at most one per address.
 *
 * @param name      the domain's {@code <name>} (what the hook and ClaimDomain use as the holder)
 * @param running   libvirt gives an active domain an {@code id} attribute, an inactive one none
 * @param hostdevs  by host address, in document order
 * @param xml       the text it was read from
 */
public record DomainDefinition(String name, boolean running, Map<PciAddress, Hostdev> hostdevs, String xml) {

    public DomainDefinition {
        hostdevs = Collections.unmodifiableMap(new LinkedHashMap<>(hostdevs));
    }

    /** Reads virsh's output; libvirt writes no DOCTYPE, so one is refused rather than resolved. */
    public static DomainDefinition parse(String xml) throws LibvirtException {
        Element root = parseDocument(xml).getDocumentElement();
        if (!"domain".equals(root.getLocalName()) || root.getNamespaceURI() != null) {
            throw bad("virsh dumpxml printed <" + root.getTagName() + ">, not a <domain>");
        }
        List<Element> names = children(root, "name");
        if (names.size() != 1 || names.get(0).getTextContent().isBlank()) {
            throw bad("the domain XML has no <name>");
        }
        Map<PciAddress, Hostdev> hostdevs = new LinkedHashMap<>();
        for (Element h : pciHostdevs(root)) {
            Hostdev hostdev = hostdev(h);
            hostdevs.putIfAbsent(hostdev.address(), hostdev);
        }
        return new DomainDefinition(names.get(0).getTextContent().strip(), root.hasAttribute("id"), hostdevs, xml);
    }

    /**
     * This definition again with {@code managed='no'} on the hostdevs of {@code addresses}, all else as it
     * was: for {@code virsh define}, which replaces the persistent definition in one step or not at all.
     * (Taking a hostdev out and adding it again is two steps, and the second can be refused: libvirt adds
     * {@code <os><boot dev='hd'/>} once the last device with a boot order is gone, and then refuses the
     * hostdev's own {@code <boot order>}.)
     */
    public String unmanaging(Collection<PciAddress> addresses) throws LibvirtException {
        Document doc = parseDocument(xml);
        for (Element h : pciHostdevs(doc.getDocumentElement())) {
            if (addresses.contains(hostdev(h).address())) {
                h.setAttribute("managed", "no");
            }
        }
        return text(doc);
    }

    private static List<Element> pciHostdevs(Element root) {
        List<Element> out = new ArrayList<>();
        for (Element devices : children(root, "devices")) {
            for (Element h : children(devices, "hostdev")) {
                if (DomainXml.isPciHostdev(h)) {
                    out.add(h);
                }
            }
        }
        return out;
    }

    private static Hostdev hostdev(Element h) throws LibvirtException {
        List<Element> sources = children(h, "source");
        List<Element> addresses = sources.size() == 1 ? children(sources.get(0), "address") : List.of();
        if (addresses.size() != 1) {
            throw bad("a <hostdev type='pci'> without one <source><address>");
        }
        Element a = addresses.get(0);
        PciAddress address;
        try {
            // libvirt prints each as 0x-hex; Integer.decode also takes the decimal and octal it accepts on input.
            address = new PciAddress(Integer.decode(a.getAttribute("domain")), Integer.decode(a.getAttribute("bus")),
                    Integer.decode(a.getAttribute("slot")), Integer.decode(a.getAttribute("function")));
        } catch (IllegalArgumentException e) {
            throw bad("a <hostdev type='pci'> with the source address domain='" + a.getAttribute("domain") + "' bus='"
                    + a.getAttribute("bus") + "' slot='" + a.getAttribute("slot") + "' function='"
                    + a.getAttribute("function") + "'");
        }
        return new Hostdev(address, h.getAttribute("managed").equals("yes"));
    }

    private static Document parseDocument(String xml) throws LibvirtException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
            f.setNamespaceAware(true);
            f.setExpandEntityReferences(false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            var builder = f.newDocumentBuilder();
            builder.setErrorHandler(new DefaultHandler()); // throws on fatal errors, prints nothing
            return builder.parse(new InputSource(new StringReader(xml)));
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a required security feature", e);
        } catch (SAXException | IOException e) {
            throw bad("virsh dumpxml printed XML that cannot be read: " + e.getMessage());
        }
    }

    /** The document as text, without an XML declaration (libvirt writes none). */
    private static String text(Node e) {
        try {
            Transformer t = TransformerFactory.newDefaultInstance().newTransformer();
            t.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter out = new StringWriter();
            t.transform(new DOMSource(e), new StreamResult(out));
            return out.toString();
        } catch (TransformerException ex) {
            throw new IllegalStateException("cannot write an element the parser read", ex);
        }
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n.getNodeType() == Node.ELEMENT_NODE && n.getNamespaceURI() == null && name.equals(n.getLocalName())) {
                out.add((Element) n);
            }
        }
        return out;
    }

    private static LibvirtException bad(String message) {
        return new LibvirtException(LibvirtException.Kind.BAD_XML, message);
    }
}
