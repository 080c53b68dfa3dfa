//! Answering a query from a zone: exact match, CNAME, wildcard, DNAME, delegation, NXDOMAIN/NODATA.
