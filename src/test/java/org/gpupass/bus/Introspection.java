package org.gpupass.bus;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** An interface's members from introspection XML, as comparable one-line signatures. */
final class Introspection {
    private Introspection() {
    }

    /** E.g. {@code method Claim(ss)->o}, {@code signal StateChanged(osssss)}, {@code property Since t read}. */
    static Set<String> members(String xml, String interfaceName) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setExpandEntityReferences(false);
        Document doc = factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        Set<String> members = new TreeSet<>();
        NodeList interfaces = doc.getElementsByTagName("interface");
        for (int i = 0; i < interfaces.getLength(); i++) {
            Element iface = (Element) interfaces.item(i);
            if (!iface.getAttribute("name").equals(interfaceName)) {
                continue;
            }
            for (Element m : children(iface, "method")) {
                StringBuilder in = new StringBuilder();
                StringBuilder out = new StringBuilder();
                for (Element arg : children(m, "arg")) {
                    ("out".equals(arg.getAttribute("direction")) ? out : in).append(arg.getAttribute("type"));
                }
                members.add("method " + m.getAttribute("name") + "(" + in + ")" + (out.length() > 0 ? "->" + out : ""));
            }
            for (Element s : children(iface, "signal")) {
                StringBuilder args = new StringBuilder();
                children(s, "arg").forEach(a -> args.append(a.getAttribute("type")));
                members.add("signal " + s.getAttribute("name") + "(" + args + ")");
            }
            for (Element p : children(iface, "property")) {
                members.add("property " + p.getAttribute("name") + " " + p.getAttribute("type") + " "
                        + p.getAttribute("access"));
            }
        }
        return members;
    }

    private static List<Element> children(Element parent, String tag) {
        List<Element> found = new ArrayList<>();
        NodeList nodes = parent.getElementsByTagName(tag);
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getParentNode() == parent) {
                found.add((Element) nodes.item(i));
            }
        }
        return found;
    }
}
