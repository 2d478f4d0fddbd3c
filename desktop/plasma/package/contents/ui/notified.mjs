// One notification per failure for all the widget's instances in one plasmashell: the tray's and
// a panel's widget both receive the same TransitionFailed. They share plasmashell's QML engine,
// which loads this module once, so this map is common to them. (plasmawindowed is a process of
// its own, and tells its own.)

const told = new Map(); // key -> when (ms since the epoch)
const FORGET_AFTER_MS = 10000;

/** true for the first instance to ask about `key` within 10 s, false for the others */
export function firstToTell(key, now) {
    for (const [k, t] of told) {
        if (now - t > FORGET_AFTER_MS)
            told.delete(k);
    }
    if (told.has(key))
        return false;
    told.set(key, now);
    return true;
}
